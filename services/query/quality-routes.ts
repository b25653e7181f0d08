/**
 * GET /v1/metrics/quality and GET /v1/quality/compare, mounted by registerQueryRoutes
 * inside its encapsulated scope (so they share its error handler and query runner).
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { RangeLimits } from './params.ts';
import { resolveCompareRequest, resolveQualityRequest, sourcesOf, type QualityGroupColumn } from './quality-params.ts';
import { buildCompareQuery, buildQualityQuery, qualityQueryParams, type CompareRow } from './quality-query.ts';
import { DEFAULT_ALPHA, meanCi95, PROPORTION_TEST, twoProportionOneSided, WELCH_TEST, welchOneSided, type SampleSummary } from './quality-stats.ts';
import type { QueryDef } from '../core/store/named-query.ts';
import type { SharedResponses } from './shared-responses.ts';
import { clickhouseTimeToIso } from './time.ts';

export type RunQuery = <P extends z.ZodType, R extends z.ZodType>(def: QueryDef<P, R>, params: z.input<P>) => Promise<z.output<R>[]>;

export interface QualityRoutesOptions {
  run: RunQuery;
  limits: RangeLimits;
  maxRows: number;
  /** Concurrent identical dashboard requests share one answer. */
  shared: SharedResponses;
}

/** Most (source, name, prompt_version) rows a comparison reads. */
const MAX_COMPARE_ROWS = 2_000;

export const COMPARE_HYPOTHESIS = 'H1: candidate mean < baseline mean (one-sided; scores are 0..1, higher is better)';

export function registerQualityRoutes(scope: FastifyInstance, opts: QualityRoutesOptions): void {
  const { run, limits, maxRows, shared } = opts;

  scope.get('/v1/metrics/quality', async (req, reply) => {
    const r = resolveQualityRequest(req.query, limits);
    return shared.send(reply, `quality ${JSON.stringify(r)}`, async () => {
      const rows = await run(buildQualityQuery(r), qualityQueryParams(r, sourcesOf(r.source), maxRows + 1));
      return {
        from: new Date(r.fromMs).toISOString(),
        to: new Date(r.toMs).toISOString(),
        interval: r.interval,
        group_by: r.groupBy,
        filters: r.names.length > 0 ? { ...r.filters, name: r.names } : r.filters,
        source: r.source,
        truncated: rows.length > maxRows,
        rows: rows.slice(0, maxRows).map((row) => shapeQualityRow(row, r.interval !== 'none', r.groupBy)),
      };
    });
  });

  scope.get('/v1/quality/compare', async (req) => {
    const r = resolveCompareRequest(req.query, limits);
    const rows = await run(buildCompareQuery(r.names.length > 0), {
      from_ms: r.fromMs,
      to_ms: r.toMs,
      sources: sourcesOf(r.source),
      ...(r.names.length > 0 ? { names: r.names } : {}),
      feature: r.feature,
      baseline: r.baseline,
      candidate: r.candidate,
      limit: MAX_COMPARE_ROWS,
    });
    const scores = compareScores(rows, r.baseline, r.candidate);
    return {
      feature: r.feature,
      baseline: r.baseline,
      candidate: r.candidate,
      from: new Date(r.fromMs).toISOString(),
      to: new Date(r.toMs).toISOString(),
      source: r.source,
      test: WELCH_TEST,
      pass_rate_test: PROPORTION_TEST,
      alpha: DEFAULT_ALPHA,
      hypothesis: COMPARE_HYPOTHESIS,
      regression: scores.some((s) => s.regression),
      scores,
    };
  });
}

export function shapeQualityRow(row: Record<string, unknown>, bucketed: boolean, groupBy: readonly QualityGroupColumn[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (bucketed) out.bucket = clickhouseTimeToIso(String(row.bucket_start));
  for (const g of groupBy) out[g] = String(row[g]);
  const judged = row.a_judged as number;
  out.source = row.source;
  out.count = row.a_count;
  out.mean = row.a_mean;
  out.failing = row.a_failing;
  out.judged = judged;
  out.failing_share = judged > 0 ? (row.a_failing as number) / judged : null;
  out.errors = row.a_errors;
  return out;
}

interface Side extends SampleSummary {
  passed: number;
  judged: number;
  errors: number;
}

const EMPTY: Side = { n: 0, mean: null, variance: null, passed: 0, judged: 0, errors: 0 };

function sideOf(row: CompareRow | undefined): Side {
  if (!row) return EMPTY;
  const n = row.a_count;
  return {
    n,
    mean: n > 0 ? row.a_mean : null,
    variance: n > 1 && row.a_variance !== null && Number.isFinite(row.a_variance) ? row.a_variance : null,
    passed: row.a_passed,
    judged: row.a_judged,
    errors: row.a_errors,
  };
}

function describeSide(promptVersion: string, s: Side) {
  return {
    prompt_version: promptVersion,
    count: s.n,
    mean: s.mean,
    ci95: meanCi95(s),
    std_dev: s.variance === null ? null : Math.sqrt(Math.max(0, s.variance)),
    pass_rate: s.judged > 0 ? s.passed / s.judged : null,
    passed: s.passed,
    judged: s.judged,
    errors: s.errors,
  };
}

/** One entry per (source, name) seen on either side, tests computed in TS from the SQL sums. */
export function compareScores(rows: readonly CompareRow[], baseline: string, candidate: string) {
  const byName = new Map<string, { source: string; name: string; b?: CompareRow; c?: CompareRow }>();
  for (const row of rows) {
    const key = `${row.source}\u0000${row.name}`;
    const entry = byName.get(key) ?? { source: row.source, name: row.name };
    if (row.prompt_version === baseline) entry.b = row;
    else if (row.prompt_version === candidate) entry.c = row;
    byName.set(key, entry);
  }
  return [...byName.values()].map(({ source, name, b, c }) => {
    const base = sideOf(b);
    const cand = sideOf(c);
    const welch = welchOneSided(base, cand);
    return {
      source,
      name,
      baseline: describeSide(baseline, base),
      candidate: describeSide(candidate, cand),
      ...welch,
      pass_rate: twoProportionOneSided(base, cand),
    };
  });
}
