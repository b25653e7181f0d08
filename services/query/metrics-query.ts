/**
 * Metrics queries over the rollups (see rollup-source.ts for which one), never over raw
 * traces. The SQL is assembled only from the fixed fragments below, chosen by
 * whitelisted enum values (metric, interval, group_by, which filters are present); every
 * value from the request is a ClickHouse query parameter.
 *
 * The engine writes each row of the answer exactly as the API returns it (field names,
 * nulls, ISO buckets: metrics-fields.ts), and the route passes those lines on: no row is
 * parsed, checked or re-serialised in the process.
 */
import { z } from 'zod';
import type { Filters, GroupColumn, MetricsRequest } from './params.ts';
import { metricFieldsSql } from './metrics-fields.ts';
import { rollupSource, type RollupSource } from './rollup-source.ts';

export const METRICS = ['cost', 'latency', 'errors', 'tokens', 'overview'] as const;
export type Metric = (typeof METRICS)[number];

/** group_by / filter name → column. Identity today, but only these strings reach SQL. */
const DIMENSION_SQL: Record<GroupColumn, string> = {
  feature: 'feature',
  model: 'model',
  prompt_version: 'prompt_version',
  environment: 'environment',
};

/** A filter per dimension; the parameter name is fixed too. */
const FILTER_SQL: Record<GroupColumn, string> = {
  feature: 'feature IN {feature:Array(String)}',
  model: 'model IN {model:Array(String)}',
  prompt_version: 'prompt_version IN {prompt_version:Array(String)}',
  environment: 'environment IN {environment:Array(String)}',
};

const LATENCY_Q = 'quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q)';
const TTFT_Q = 'quantilesTDigestIfMerge(0.5, 0.9, 0.95, 0.99)(ttft_q)';

/** Every aggregate a metric can select. SQL aliases are `a_<key>` so they never shadow a
 * rollup column (an alias named `requests` would capture `sum(requests)` elsewhere). */
const AGGREGATES = {
  requests: 'sum(requests)',
  errors: 'sum(errors)',
  error_rate: 'sum(errors) / sum(requests)',
  unpriced_requests: 'sum(unpriced)',
  fallback_rate_requests: 'sum(fallback_rate)',
  cost_usd: 'toString(sum(cost_usd_sum))',
  client_cost_usd: 'toString(sum(client_cost_usd_sum))',
  input_tokens: 'sum(input_tokens_sum)',
  output_tokens: 'sum(output_tokens_sum)',
  cached_input_tokens: 'sum(cached_input_tokens_sum)',
  cache_write_tokens: 'sum(cache_write_tokens_sum)',
  reasoning_tokens: 'sum(reasoning_tokens_sum)',
  cache_write_1h_tokens: 'sum(cache_write_1h_tokens_sum)',
  input_audio_tokens: 'sum(input_audio_tokens_sum)',
  output_audio_tokens: 'sum(output_audio_tokens_sum)',
  input_image_tokens: 'sum(input_image_tokens_sum)',
  output_image_tokens: 'sum(output_image_tokens_sum)',
  latency_avg_ms: 'sum(latency_ms_sum) / sum(requests)',
  latency_max_ms: 'max(latency_ms_max)',
  latency_q: LATENCY_Q,
  ttft_q: TTFT_Q,
} as const;
export type AggregateKey = keyof typeof AGGREGATES;
const QUANTILE_KEYS: ReadonlySet<AggregateKey> = new Set(['latency_q', 'ttft_q']);

const TOKENS: AggregateKey[] = [
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'cache_write_1h_tokens',
  'input_audio_tokens',
  'output_audio_tokens',
  'input_image_tokens',
  'output_image_tokens',
];
const COST: AggregateKey[] = ['requests', 'unpriced_requests', 'fallback_rate_requests', 'cost_usd', 'client_cost_usd', ...TOKENS];
const LATENCY: AggregateKey[] = ['requests', 'latency_avg_ms', 'latency_max_ms', 'latency_q', 'ttft_q'];
const ERRORS: AggregateKey[] = ['requests', 'errors', 'error_rate'];

export const METRIC_AGGREGATES: Record<Metric, readonly AggregateKey[]> = {
  cost: COST,
  latency: LATENCY,
  errors: ERRORS,
  tokens: ['requests', ...TOKENS],
  overview: [...new Set([...COST, ...ERRORS, ...LATENCY])],
};

export const metricsParams = z.object({
  from_ms: z.number().int().nonnegative(),
  to_ms: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
  feature: z.array(z.string()).optional(),
  model: z.array(z.string()).optional(),
  prompt_version: z.array(z.string()).optional(),
  environment: z.array(z.string()).optional(),
});
export type MetricsParams = z.input<typeof metricsParams>;

export interface MetricsQuery {
  name: string;
  /** Answers JSONEachRow lines in the API's row shape. */
  query: string;
  params: typeof metricsParams;
  source: RollupSource;
}

type Req = Pick<MetricsRequest, 'fromMs' | 'toMs' | 'interval' | 'resolution' | 'groupBy' | 'filters'>;

function whereSql(req: Req): string {
  return [
    "bucket >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')",
    "bucket < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')",
    ...(Object.keys(req.filters) as GroupColumn[]).map((f) => FILTER_SQL[f]),
  ].join(' AND ');
}

/** One GROUP BY over the chosen rollup: every aggregate, quantile states merged. */
function mergedSql(req: Req, keys: readonly AggregateKey[], table: string): string {
  const dims = req.groupBy.map((g) => DIMENSION_SQL[g]);
  const bucket = req.interval === 'none' ? [] : [req.interval === 'day' && table !== 'traces_fm_1d' ? 'toStartOfDay(bucket) AS bucket_start' : 'bucket AS bucket_start'];
  const keyCols = [...(req.interval === 'none' ? [] : ['bucket_start']), ...dims];
  return [
    `SELECT ${[...bucket, ...dims, ...keys.map((k) => `${AGGREGATES[k]} AS a_${k}`)].join(', ')}`,
    `FROM ${table}`,
    `WHERE ${whereSql(req)}`,
    keyCols.length > 0 ? `GROUP BY ${keyCols.join(', ')}` : '',
    'HAVING a_requests > 0',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * The hours of the range whose finished rows do not count what traces_fm_1h counts (the
 * open hour, hours a late event or a repair reopened, hours not finished yet). Compared
 * per hour, not per group: a rollup's counts only grow, so equal hour totals mean every
 * group of the hour is finished as it stands.
 */
function staleHoursSql(where: string): string {
  return `SELECT rh.h FROM (
    SELECT bucket AS h, sum(requests) AS rn FROM traces_fm_1h WHERE ${where} GROUP BY h
  ) AS rh LEFT JOIN (
    SELECT bucket AS h, sum(requests) AS fn FROM traces_fm_quantiles FINAL WHERE ${where} GROUP BY h
  ) AS fh ON rh.h = fh.h
  WHERE rh.rn != fh.fn`;
}

/** An aggregate over the rollup → the same value read from one finished row (its sums
 *  are the hour's sums, its quantiles finished): sum(x) / max(x) → x, merges → the array. */
function finishedExpr(k: AggregateKey): string {
  if (k === 'latency_q' || k === 'ttft_q') return k;
  return AGGREGATES[k].replace(/\b(?:sum|max)\((\w+)\)/g, '$1');
}

/**
 * Hourly by (feature, model): every finished closed hour read from traces_fm_quantiles
 * as it is (FINAL: each key's latest row; ReplacingMergeTree(computed_at)), and only the
 * other hours (the open one, reopened or unfinished ones: staleHoursSql) from
 * traces_fm_1h with their states merged. Disjoint hours, so the answer equals mergedSql's.
 */
function finishedSql(req: Req, keys: readonly AggregateKey[]): string {
  const where = whereSql(req);
  const stale = staleHoursSql(where);
  const dims = req.groupBy.map((g) => DIMENSION_SQL[g]);
  const finished = [
    `SELECT bucket AS bucket_start, ${dims.join(', ')}, ${keys.map((k) => `${finishedExpr(k)} AS a_${k}`).join(', ')}`,
    'FROM traces_fm_quantiles FINAL',
    `WHERE ${where} AND requests > 0 AND bucket NOT IN (${stale})`,
  ].join('\n');
  const open = mergedSql(req, keys, 'traces_fm_1h').replace(`WHERE ${where}`, `WHERE ${where} AND bucket IN (${stale})`);
  return `${finished}\nUNION ALL\n${open}`;
}

/**
 * metrics.<metric>: one row per (bucket × group_by values) with the metric's aggregates,
 * over [from_ms, to_ms), in the API's row shape; groups with no requests are omitted.
 * Rows come ordered by bucket, then the group columns.
 */
export function buildMetricsQuery(metric: Metric, req: Req): MetricsQuery {
  const keys = METRIC_AGGREGATES[metric];
  const source = rollupSource(req);
  const finished = source.finishedQuantiles && keys.some((k) => QUANTILE_KEYS.has(k));
  const inner = finished ? finishedSql(req, keys) : mergedSql(req, keys, source.table);
  const { interval, groupBy } = req;
  const keyCols = [...(interval === 'none' ? [] : ['bucket_start']), ...groupBy.map((g) => DIMENSION_SQL[g])];
  const query = [
    `SELECT ${metricFieldsSql(new Set(keys), interval !== 'none', groupBy.map((g) => DIMENSION_SQL[g])).join(',\n  ')}`,
    `FROM (\n${inner}\n)`,
    keyCols.length > 0 ? `ORDER BY ${keyCols.join(', ')}` : '',
    'LIMIT {limit:UInt32}',
    `SETTINGS join_use_nulls = 0`,
  ]
    .filter(Boolean)
    .join('\n');
  return {
    name: `metrics.${metric}.${interval}.${source.table}${finished ? '.finished' : ''}${groupBy.length ? `.by_${groupBy.join('_')}` : ''}`,
    query,
    params: metricsParams,
    source,
  };
}

export function metricsQueryParams(req: MetricsRequest, limit: number): MetricsParams {
  const params: MetricsParams = { from_ms: req.fromMs, to_ms: req.toMs, limit };
  for (const [col, values] of Object.entries(req.filters) as [keyof Filters, string[]][]) params[col] = values;
  return params;
}
