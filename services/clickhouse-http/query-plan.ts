/**
 * From a request's query text to what runs on a Session: the statement analysed and
 * checked (one statement, no INTO OUTFILE/FROM INFILE, read-only where it must be), and
 * the SQL that sets a Session up (server parity, analysts' limits and `readonly = 1`,
 * the request's settings, query parameters and database). See http-interface.ts.
 */
import { ClickHouseHttpError } from './ch-errors.ts';
import type { AuthenticatedUser, Role } from './http-request.ts';
import { SqlLexError, isPlainIdentifier, sqlStringLiteral } from './sql-lexer.ts';
import { analyzeQuery, isReadOnlyKind, isStatementKeyword, type QueryAnalysis } from './sql-statement.ts';

/** chDB (clickhouse-local) defaults that differ from a ClickHouse server's, reset on every Session. */
const SERVER_PARITY_SQL = 'SET output_format_json_quote_64bit_integers = 1; SET implicit_select = 0; SET allow_introspection_functions = 0; ';

/**
 * Resource limits on analysts' queries. A chDB query cannot be cancelled (not even when
 * the client goes away), so these are what stops a runaway one: the engine aborts it
 * (TIMEOUT_EXCEEDED, MEMORY_LIMIT_EXCEEDED, TOO_MANY_ROWS_OR_BYTES). max_memory_usage is
 * per query: with the default 4 analyst Sessions at most 8 GB in all. The result limits
 * bound what this process buffers (a chDB result is held in memory whole).
 */
export const DEFAULT_ANALYST_SETTINGS: Readonly<Record<string, number>> = {
  max_execution_time: 60,
  max_memory_usage: 2_000_000_000,
  max_result_rows: 1_000_000,
  max_result_bytes: 1_000_000_000,
};

/** The SQL that initialises each role's Sessions. */
export interface SessionInitSql {
  serviceInit: string;
  analystInit: string;
  /** The analysts' resource limits as SET statements (DEFAULT_ANALYST_SETTINGS + overrides). */
  analystSettingsSql: string;
}

function setStatement(name: string, value: string): string {
  if (!isPlainIdentifier(name)) throw ClickHouseHttpError.of('BAD_ARGUMENTS', `Invalid setting name: ${JSON.stringify(name)}`);
  return `SET ${name} = ${sqlStringLiteral(value)}; `;
}

function sqlText(text: Buffer): string {
  return text.subarray(0, 4096).toString('utf8');
}

function backquote(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

export function sessionInitSql(analystSettings: Record<string, string | number> | undefined): SessionInitSql {
  const analystSettingsSql = Object.entries({ ...DEFAULT_ANALYST_SETTINGS, ...analystSettings })
    .map(([k, v]) => setStatement(k, String(v)))
    .join('');
  return {
    serviceInit: SERVER_PARITY_SQL,
    analystInit: `${SERVER_PARITY_SQL}${analystSettingsSql}SET readonly = 1; `,
    analystSettingsSql,
  };
}

/**
 * The query text analysed as latin1, so that offsets are byte offsets into `text`; one
 * statement, with neither INTO OUTFILE nor FROM INFILE. For analysts this pass only
 * refuses early: their query is checked again, and executed, in the engine's normal form
 * (checkAnalystQuery).
 */
export function analyseText(text: Buffer, isFormat: (name: string) => boolean): QueryAnalysis {
  let analysis: QueryAnalysis | undefined;
  if (text.length > 1 << 20) {
    // A large body is usually INSERT data: look for the statement in the first MiB only.
    try {
      const first = analyzeQuery(text.subarray(0, 1 << 20).toString('latin1'), isFormat);
      if (first.insert) analysis = first;
    } catch {
      /* cut inside a literal: analyse the whole text below */
    }
  }
  try {
    analysis ??= analyzeQuery(text.toString('latin1'), isFormat);
  } catch (err) {
    if (err instanceof SqlLexError) throw ClickHouseHttpError.of('SYNTAX_ERROR', `${err.message}: failed at position ${err.position + 1}`);
    throw err;
  }
  if (analysis.empty) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Empty query');
  if (analysis.multiStatement) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Multi-statements are not allowed');
  if (analysis.intoOutfile) throw ClickHouseHttpError.of('INTO_OUTFILE_NOT_ALLOWED', 'INTO OUTFILE is not allowed');
  if (analysis.fromInfile) throw ClickHouseHttpError.of('UNKNOWN_TYPE_OF_QUERY', 'Query has infile and was send directly to server');
  return analysis;
}

/** Analysts and GET requests are read-only; analysts' query parameters carry no raw line breaks. */
export function checkAllowed(analysis: QueryAnalysis, text: Buffer, user: AuthenticatedUser, method: string, queryParams: Map<string, string>): void {
  const readOnly = user.role === 'analyst' || method === 'GET';
  if (readOnly && !isReadOnlyKind(analysis.kind)) {
    if (!isStatementKeyword(analysis.kind)) {
      const excerpt = sqlText(text).trim().slice(0, 80);
      throw ClickHouseHttpError.of('SYNTAX_ERROR', `Syntax error: failed at position 1 (${excerpt}): expected a query such as SELECT, WITH, SHOW, DESCRIBE, EXPLAIN or EXISTS`);
    }
    const why = user.role === 'analyst' ? '' : '. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries';
    throw ClickHouseHttpError.of('READONLY', `${user.name}: Cannot execute query in readonly mode${why}`);
  }
  if (user.role === 'analyst') {
    // Values are escaped text (`\n`), as clients send them; a raw line break in an
    // Identifier parameter would forge lines in the EXPLAIN AST dump the checks read.
    for (const [k, v] of queryParams) {
      if (/[\n\r]/.test(v)) throw ClickHouseHttpError.of('BAD_ARGUMENTS', `Query parameter '${k}' contains a raw line break: escape it as \\n`);
    }
  }
}

export interface PreludeInput {
  role: Role;
  settings: Map<string, string>;
  queryParams: Map<string, string>;
  database: string;
  analysis: QueryAnalysis;
  init: SessionInitSql;
}

/**
 * Per-request state goes into a prelude run on a fresh Session (`fresh`); a request
 * without any runs on a pooled Session, with an empty prelude.
 */
export function buildPrelude({ role, settings, queryParams, database, analysis, init }: PreludeInput): { prelude: string; fresh: boolean } {
  let prelude = '';
  if (role === 'analyst') {
    if (settings.size > 0) prelude += SERVER_PARITY_SQL + init.analystSettingsSql;
    for (const [k, v] of settings) prelude += setStatement(k, v);
    if (settings.size > 0) prelude += 'SET readonly = 1; ';
  } else {
    for (const [k, v] of settings) prelude += setStatement(k, v);
  }
  for (const [k, v] of queryParams) prelude += `SET param_${k} = ${sqlStringLiteral(v)}; `;
  if (database !== '' && database !== 'default') prelude += `USE ${backquote(database)}; `;
  const sessionState = role === 'service' && (analysis.kind === 'SET' || analysis.kind === 'USE' || analysis.temporary);
  const fresh = prelude !== '' || sessionState;
  if (fresh && !(role === 'analyst' && settings.size > 0)) {
    prelude = (role === 'analyst' ? init.analystInit : init.serviceInit) + prelude;
  }
  return { prelude, fresh };
}
