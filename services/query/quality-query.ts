/**
 * Quality queries over the `scores` table (raw rows: scores are sampled evals and user
 * feedback, far fewer than traces, and their dimensions are only known after a join).
 * The SQL is assembled from the fixed fragments below, chosen by whitelisted enum
 * values (interval, group_by, which filters are present); every request value is a
 * ClickHouse query parameter.
 *
 * Every query reads "resolved scores": one row per (source, name, score_id) — the latest
 * version by ts (argMax), so a replayed or resent score counts once and a changed vote
 * replaces the old one — with the trace's feature/model/prompt_version/environment.
 * Eval scores carry them; feedback (model = '') takes them from `traces` by trace_id,
 * and feedback whose trace is unknown keeps empty dimensions but is still counted.
 */
import { z } from 'zod';
import type { GroupColumn, Interval } from './params.ts';
import type { QualityGroupColumn, QualityRequest } from './quality-params.ts';
import { defineQuery, type QueryDef } from '../core/store/named-query.ts';

const IN_WINDOW = `ts >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
    AND source IN {sources:Array(String)}`;
const NAME_FILTER = 'AND name IN {names:Array(String)}';

/** The latest version of each score in the window, with its trace's dimensions. */
function resolvedScoresSql(filterNames: boolean): string {
  const where = `${IN_WINDOW}${filterNames ? `\n    ${NAME_FILTER}` : ''}`;
  return `
  SELECT
    s.source AS source, s.name AS name, s.last_ts AS ts,
    tupleElement(s.latest, 2) AS value,
    tupleElement(s.latest, 3) AS passed,
    tupleElement(s.latest, 4) AS status,
    if(tupleElement(s.latest, 6) = '', t.t_feature, tupleElement(s.latest, 5)) AS feature,
    if(tupleElement(s.latest, 6) = '', t.t_model, tupleElement(s.latest, 6)) AS model,
    if(tupleElement(s.latest, 6) = '', t.t_prompt_version, tupleElement(s.latest, 7)) AS prompt_version,
    if(tupleElement(s.latest, 6) = '', t.t_environment, tupleElement(s.latest, 8)) AS environment
  FROM
  (
    SELECT source, name, score_id,
      max(ts) AS last_ts,
      argMax(tuple(trace_id, value, passed, status, toString(feature), toString(model), toString(prompt_version), toString(environment)), ts) AS latest,
      tupleElement(latest, 1) AS s_trace_id
    FROM scores
    WHERE ${where}
    GROUP BY source, name, score_id
  ) AS s
  LEFT JOIN
  (
    SELECT trace_id AS t_trace_id,
      toString(any(feature)) AS t_feature, toString(anyIf(model, model != '')) AS t_model,
      toString(any(prompt_version)) AS t_prompt_version, toString(any(environment)) AS t_environment
    FROM traces
    WHERE trace_id IN (SELECT trace_id FROM scores WHERE ${where} AND model = '')
    GROUP BY trace_id
  ) AS t ON s.s_trace_id = t.t_trace_id`;
}

const BUCKET_SQL: Record<Exclude<Interval, 'none'>, string> = {
  minute: 'toStartOfMinute(ts)',
  hour: 'toStartOfHour(ts)',
  day: 'toStartOfDay(ts)',
};

/** Only these strings reach SQL for group_by. */
const GROUP_SQL: Record<QualityGroupColumn, string> = {
  feature: 'feature',
  model: 'model',
  prompt_version: 'prompt_version',
  environment: 'environment',
  name: 'name',
};

const FILTER_SQL: Record<GroupColumn, string> = {
  feature: 'feature IN {feature:Array(String)}',
  model: 'model IN {model:Array(String)}',
  prompt_version: 'prompt_version IN {prompt_version:Array(String)}',
  environment: 'environment IN {environment:Array(String)}',
};

const OK_VALUE = "status = 'ok' AND value IS NOT NULL";
const AGGREGATES_SQL = [
  `countIf(${OK_VALUE}) AS a_count`,
  `avgIf(value, ${OK_VALUE}) AS a_mean`,
  "countIf(status = 'ok' AND passed = 0) AS a_failing",
  "countIf(status = 'ok' AND passed IS NOT NULL) AS a_judged",
  "countIf(status = 'error') AS a_errors",
];

// UInt64 arrives as a number from chDB and as a string from a server (quoted 64-bit ints).
const count = z.coerce.number().pipe(z.number().finite());
const float = z.number().nullable(); // NaN (no values) is JSON null

const windowParams = {
  from_ms: z.number().int().nonnegative(),
  to_ms: z.number().int().nonnegative(),
  sources: z.array(z.enum(['eval', 'user'])).min(1),
  names: z.array(z.string()).optional(),
  limit: z.number().int().positive(),
};

export const qualityParams = z.object({
  ...windowParams,
  feature: z.array(z.string()).optional(),
  model: z.array(z.string()).optional(),
  prompt_version: z.array(z.string()).optional(),
  environment: z.array(z.string()).optional(),
});
export type QualityParams = z.input<typeof qualityParams>;

export type QualityQuery = QueryDef<typeof qualityParams, z.ZodType<Record<string, unknown>>>;

/**
 * quality.metrics: per (bucket × group_by values × source): count of ok scores, their
 * mean, failing (passed = 0) and judged (passed known) counts, and error results.
 */
export function buildQualityQuery(req: Pick<QualityRequest, 'interval' | 'groupBy' | 'filters' | 'names'>): QualityQuery {
  const dims = req.groupBy.map((g) => GROUP_SQL[g]);
  const keyCols = [...(req.interval === 'none' ? [] : ['bucket_start']), ...dims, 'source'];
  const select = [...(req.interval === 'none' ? [] : [`${BUCKET_SQL[req.interval]} AS bucket_start`]), ...dims, 'source', ...AGGREGATES_SQL];
  const filters = (Object.keys(req.filters) as GroupColumn[]).map((f) => FILTER_SQL[f]);
  const query = [
    `SELECT ${select.join(', ')}`,
    `FROM (${resolvedScoresSql(req.names.length > 0)}\n)`,
    filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : '',
    `GROUP BY ${keyCols.join(', ')}`,
    `ORDER BY ${keyCols.join(', ')}`,
    'LIMIT {limit:UInt32}',
  ]
    .filter(Boolean)
    .join('\n');

  const rowShape: Record<string, z.ZodType> = { source: z.string(), a_count: count, a_mean: float, a_failing: count, a_judged: count, a_errors: count };
  if (req.interval !== 'none') rowShape.bucket_start = z.string();
  for (const d of req.groupBy) rowShape[d] = z.string();
  return defineQuery({
    name: `quality.metrics.${req.interval}${req.groupBy.length ? `.by_${req.groupBy.join('_')}` : ''}`,
    query,
    params: qualityParams,
    row: z.object(rowShape) as z.ZodType<Record<string, unknown>>,
  });
}

export function qualityQueryParams(req: QualityRequest, sources: ('eval' | 'user')[], limit: number): QualityParams {
  const params: QualityParams = { from_ms: req.fromMs, to_ms: req.toMs, sources, limit };
  if (req.names.length > 0) params.names = req.names;
  for (const [col, values] of Object.entries(req.filters) as [GroupColumn, string[]][]) params[col] = values;
  return params;
}

export const compareParams = z.object({
  ...windowParams,
  feature: z.string(),
  baseline: z.string(),
  candidate: z.string(),
});

const compareRow = z.object({
  source: z.enum(['eval', 'user']),
  name: z.string(),
  prompt_version: z.string(),
  a_count: count,
  a_mean: float,
  a_variance: float,
  a_passed: count,
  a_judged: count,
  a_errors: count,
});
export type CompareRow = z.output<typeof compareRow>;

/**
 * quality.compare: per (source, name) and each of the two prompt versions of one
 * feature, the sufficient statistics of the tests: count, mean, sample variance
 * (numerically stable), passed / judged counts, errors.
 */
export function buildCompareQuery(filterNames: boolean) {
  return defineQuery({
    name: `quality.compare${filterNames ? '.by_name' : ''}`,
    query: `
SELECT source, name, prompt_version,
  countIf(${OK_VALUE}) AS a_count,
  avgIf(value, ${OK_VALUE}) AS a_mean,
  varSampStableIf(value, ${OK_VALUE}) AS a_variance,
  countIf(status = 'ok' AND passed = 1) AS a_passed,
  countIf(status = 'ok' AND passed IS NOT NULL) AS a_judged,
  countIf(status = 'error') AS a_errors
FROM (${resolvedScoresSql(filterNames)}
)
WHERE feature = {feature:String} AND prompt_version IN ({baseline:String}, {candidate:String})
GROUP BY source, name, prompt_version
ORDER BY source, name, prompt_version
LIMIT {limit:UInt32}`,
    params: compareParams,
    row: compareRow,
  });
}
