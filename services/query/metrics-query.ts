/**
 * Metrics queries over the rollups (traces_1m / traces_1h), never over raw traces.
 * The SQL is assembled only from the fixed fragments below, chosen by whitelisted enum
 * values (metric, interval, group_by, which filters are present); every value from the
 * request is a ClickHouse query parameter.
 */
import { z } from 'zod';
import type { Filters, GroupColumn, Interval, MetricsRequest, Resolution } from './params.ts';
import { defineQuery, type QueryDef } from '../core/store/named-query.ts';

export const METRICS = ['cost', 'latency', 'errors', 'tokens', 'overview'] as const;
export type Metric = (typeof METRICS)[number];

const ROLLUP_TABLE: Record<Resolution, string> = { minute: 'traces_1m', hour: 'traces_1h' };

/** Bucket expression per interval; `none` has no bucket column. */
const BUCKET_SQL: Record<Exclude<Interval, 'none'>, string> = {
  minute: 'bucket',
  hour: 'bucket',
  day: 'toStartOfDay(bucket)',
};

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

// UInt64 arrives as a number from chDB and as a string from a server (quoted 64-bit ints).
const count = z.coerce.number().pipe(z.number().finite());
const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/);
const float = z.number().nullable(); // NaN (no data, e.g. no TTFT in a bucket) is JSON null
const quantiles = z.array(z.number().nullable()).length(4);

/** Every aggregate a metric can select. SQL aliases are `a_<key>` so they never shadow a
 * rollup column (an alias named `requests` would capture `sum(requests)` elsewhere). */
const AGGREGATES = {
  requests: { sql: 'sum(requests)', schema: count },
  errors: { sql: 'sum(errors)', schema: count },
  error_rate: { sql: 'sum(errors) / sum(requests)', schema: float },
  unpriced_requests: { sql: 'sum(unpriced)', schema: count },
  cost_usd: { sql: 'toString(sum(cost_usd_sum))', schema: decimalText },
  client_cost_usd: { sql: 'toString(sum(client_cost_usd_sum))', schema: decimalText },
  input_tokens: { sql: 'sum(input_tokens_sum)', schema: count },
  output_tokens: { sql: 'sum(output_tokens_sum)', schema: count },
  cached_input_tokens: { sql: 'sum(cached_input_tokens_sum)', schema: count },
  cache_write_tokens: { sql: 'sum(cache_write_tokens_sum)', schema: count },
  reasoning_tokens: { sql: 'sum(reasoning_tokens_sum)', schema: count },
  latency_avg_ms: { sql: 'sum(latency_ms_sum) / sum(requests)', schema: float },
  latency_max_ms: { sql: 'max(latency_ms_max)', schema: count },
  latency_q: { sql: 'quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q)', schema: quantiles },
  ttft_q: { sql: 'quantilesTDigestIfMerge(0.5, 0.9, 0.95, 0.99)(ttft_q)', schema: quantiles },
} as const;
type AggregateKey = keyof typeof AGGREGATES;

const TOKENS: AggregateKey[] = ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens'];
const COST: AggregateKey[] = ['requests', 'unpriced_requests', 'cost_usd', 'client_cost_usd', ...TOKENS];
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

export type MetricsQuery = QueryDef<typeof metricsParams, z.ZodType<Record<string, unknown>>>;

/**
 * metrics.<metric>: one row per (bucket × group_by values) with the metric's aggregates,
 * over [from_ms, to_ms) of the rollup chosen by `resolution`; groups with no requests
 * are omitted. Rows come ordered by bucket, then the group columns.
 */
export function buildMetricsQuery(metric: Metric, req: Pick<MetricsRequest, 'interval' | 'resolution' | 'groupBy' | 'filters'>): MetricsQuery {
  const keys = METRIC_AGGREGATES[metric];
  const dims = req.groupBy.map((g) => DIMENSION_SQL[g]);
  const keyCols = [...(req.interval === 'none' ? [] : ['bucket_start']), ...dims];
  const select = [
    ...(req.interval === 'none' ? [] : [`${BUCKET_SQL[req.interval]} AS bucket_start`]),
    ...dims,
    ...keys.map((k) => `${AGGREGATES[k].sql} AS a_${k}`),
  ];
  const where = [
    "bucket >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')",
    "bucket < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')",
    ...(Object.keys(req.filters) as GroupColumn[]).map((f) => FILTER_SQL[f]),
  ];
  const query = [
    `SELECT ${select.join(', ')}`,
    `FROM ${ROLLUP_TABLE[req.resolution]}`,
    `WHERE ${where.join(' AND ')}`,
    keyCols.length > 0 ? `GROUP BY ${keyCols.join(', ')}` : '',
    'HAVING a_requests > 0',
    keyCols.length > 0 ? `ORDER BY ${keyCols.join(', ')}` : '',
    'LIMIT {limit:UInt32}',
  ]
    .filter(Boolean)
    .join('\n');

  const rowShape: Record<string, z.ZodType> = {};
  if (req.interval !== 'none') rowShape.bucket_start = z.string();
  for (const d of req.groupBy) rowShape[d] = z.string();
  for (const k of keys) rowShape[`a_${k}`] = AGGREGATES[k].schema;

  return defineQuery({
    name: `metrics.${metric}.${req.interval}.${req.resolution}${req.groupBy.length ? `.by_${req.groupBy.join('_')}` : ''}`,
    query,
    params: metricsParams,
    row: z.object(rowShape) as z.ZodType<Record<string, unknown>>,
  });
}

export function metricsQueryParams(req: MetricsRequest, limit: number): MetricsParams {
  const params: MetricsParams = { from_ms: req.fromMs, to_ms: req.toMs, limit };
  for (const [col, values] of Object.entries(req.filters) as [keyof Filters, string[]][]) params[col] = values;
  return params;
}
