/**
 * Running a request's query on a Session of its role's pool. The service user's query
 * runs as sent; an analyst's is first normalised by the engine and checked in that form
 * (analyst-guard.ts), and the normal form is what runs. See http-interface.ts.
 */
import type { ChdbResult, Session } from 'chdb';
import { ClickHouseHttpError } from './ch-errors.ts';
import type { SessionPool } from './session-pool.ts';
import type { QueryAnalysis } from './sql-statement.ts';
import { checkAst, checkNormalisedText, normaliseError, normaliseSql, parseAstDump, type AnalystCheckContext } from './analyst-guard.ts';

/**
 * An analyst's query, normalised by the engine and checked in that form (see
 * analyst-guard.ts); returns the normal form, which is what must be executed. Runs the
 * request's prelude first (settings, parameters, USE) so the checks see what the
 * execution will: `{p:Identifier}` parameters substituted, the current database.
 */
export async function checkAnalystQuery(
  session: Session,
  prelude: string,
  text: string,
  ctx: AnalystCheckContext,
  isFormat: (name: string) => boolean,
): Promise<{ sql: string; analysis: QueryAnalysis }> {
  let row: { normalised?: unknown; again?: unknown };
  try {
    row = JSON.parse((await session.queryAsync(prelude + normaliseSql(text), { format: 'JSONEachRow' })).text()) as typeof row;
  } catch (err) {
    throw normaliseError(err);
  }
  const { normalised, again } = row;
  if (typeof normalised !== 'string' || typeof again !== 'string') throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Cannot check the query: the engine did not normalise it');
  if (normalised !== again) {
    throw ClickHouseHttpError.of('SYNTAX_ERROR', `Cannot check the query: the engine does not format it stably (${JSON.stringify(normalised.slice(0, 200))} is formatted as ${JSON.stringify(again.slice(0, 200))}); write it differently`);
  }
  const analysis = checkNormalisedText(normalised, ctx, isFormat);
  const dump = (await session.queryAsync(`EXPLAIN AST ${normalised}`, { format: 'JSONEachRow' })).text();
  const lines = dump
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { explain?: unknown }).explain);
  if (!lines.every((l): l is string => typeof l === 'string')) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Cannot check the query: unexpected EXPLAIN AST output');
  checkAst(parseAstDump(lines), ctx);
  return { sql: normalised, analysis };
}

export interface QueryRun {
  pool: SessionPool;
  /** Run on a fresh Session (the prelude carries per-request state). */
  fresh: boolean;
  prelude: string;
  sql: string;
  format: string;
  /** The analyst check context; omitted for the service user. */
  guard: AnalystCheckContext | undefined;
  /** The analysis of `sql` as sent (what ran, for the service user). */
  analysis: QueryAnalysis;
  isFormat: (name: string) => boolean;
}

/**
 * Runs one HTTP request's query on a Session of `run.pool`: the service user's as sent, an
 * analyst's checked and normalised first. Returns the result, and the analysis of the
 * statement that actually ran.
 */
export async function executeRequestQuery(run: QueryRun): Promise<{ result: ChdbResult; executed: QueryAnalysis }> {
  const { pool, fresh, prelude, sql, format, guard, analysis: rawAnalysis, isFormat } = run;
  return pool.run(fresh, async (session): Promise<{ result: ChdbResult; executed: QueryAnalysis }> => {
    if (!guard) return { result: await session.queryAsync(prelude + sql, { format }), executed: rawAnalysis };
    const checked = await checkAnalystQuery(session, prelude, sql, guard, isFormat);
    return { result: await session.queryAsync(checked.sql, { format }), executed: checked.analysis };
  });
}
