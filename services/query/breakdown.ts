/**
 * Metrics by user, session or metadata key: `GET /v1/metrics/<metric>?group_by=user_id
 * &order=cost_desc&limit=20`. These dimensions have too many values for the rollups
 * (one series per user), so the question is answered from the model-call spans of
 * `traces` over the range, one row per group (no buckets), top-N by the chosen order.
 * The request is checked here (every problem named), the SQL built from whitelisted
 * fragments; user, session and metadata values and metadata keys are query parameters.
 */
import { DAY_MS } from '../core/time.ts';
import { metricFieldsSql } from './metrics-fields.ts';
import { METRIC_AGGREGATES, type AggregateKey, type Metric } from './metrics-query.ts';
import { GROUP_COLUMNS, MAX_FILTER_VALUES, MAX_VALUE_LENGTH } from './params.ts';
import { badRequest } from './http-errors.ts';
import { parseInstant } from './time.ts';

export const RAW_DIMENSIONS = ['user_id', 'session_id'] as const;
export const BREAKDOWN_MAX_RANGE_DAYS = 31;
export const BREAKDOWN_MAX_LIMIT = 1_000;
const METADATA_KEY = /^metadata\.([A-Za-z0-9_.:-]{1,64})$/;
export const ORDERS = {
  cost_desc: 'toDecimal128OrZero(a_cost_usd, 12) DESC',
  requests_desc: 'a_requests DESC',
  errors_desc: 'a_errors DESC',
  error_rate_desc: 'a_error_rate DESC',
  tokens_desc: '(a_input_tokens + a_output_tokens) DESC',
  latency_p95_desc: 'a_latency_q[3] DESC',
} as const;
type Order = keyof typeof ORDERS;
/** Which aggregates an order needs: it must be part of the metric asked for. */
const ORDER_NEEDS: Record<Order, AggregateKey> = {
  cost_desc: 'cost_usd',
  requests_desc: 'requests',
  errors_desc: 'errors',
  error_rate_desc: 'error_rate',
  tokens_desc: 'input_tokens',
  latency_p95_desc: 'latency_q',
};

/** Raw-column aggregates under the rollup queries' a_<key> aliases, so the API's row shape is the same. */
const RAW_AGGREGATES: Record<AggregateKey, string> = {
  requests: 'count()',
  errors: "countIf(status = 'error')",
  error_rate: "countIf(status = 'error') / count()",
  unpriced_requests: 'countIf(cost_usd IS NULL)',
  fallback_rate_requests: "countIf(pricing_status = 'fallback_rate')",
  cost_usd: 'toString(sum(toDecimal128(ifNull(cost_usd, 0), 12)))',
  client_cost_usd: 'toString(sum(toDecimal128(ifNull(client_cost_usd, 0), 12)))',
  input_tokens: 'sum(input_tokens)',
  output_tokens: 'sum(output_tokens)',
  cached_input_tokens: 'sum(cached_input_tokens)',
  cache_write_tokens: 'sum(cache_write_tokens)',
  reasoning_tokens: 'sum(reasoning_tokens)',
  cache_write_1h_tokens: 'sum(cache_write_1h_tokens)',
  input_audio_tokens: 'sum(input_audio_tokens)',
  output_audio_tokens: 'sum(output_audio_tokens)',
  input_image_tokens: 'sum(input_image_tokens)',
  output_image_tokens: 'sum(output_image_tokens)',
  latency_avg_ms: 'avg(latency_ms)',
  latency_max_ms: 'max(latency_ms)',
  latency_q: 'quantilesTDigest(0.5, 0.9, 0.95, 0.99)(latency_ms)',
  ttft_q: 'quantilesTDigestIf(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL)',
};

export interface BreakdownRequest {
  fromMs: number;
  toMs: number;
  /** In the order asked: rollup dimensions, user_id, session_id, or `metadata.<key>`. */
  groupBy: string[];
  /** Exact filters by column (a rollup dimension, user_id, session_id) or `metadata.<key>`. */
  filters: Record<string, string[]>;
  order: Order | null;
  limit: number;
}

const isRawDimension = (name: string) => (RAW_DIMENSIONS as readonly string[]).includes(name) || METADATA_KEY.test(name);
const isDimension = (name: string) => (GROUP_COLUMNS as readonly string[]).includes(name) || isRawDimension(name);

/** Whether a metrics question is a breakdown (names a raw dimension, or asks for an order or a limit). */
export function isBreakdown(query: Record<string, unknown>): boolean {
  if ('order' in query || 'limit' in query) return true;
  const groupBy = [query.group_by].flat().filter((v): v is string => typeof v === 'string').flatMap((s) => s.split(',').map((x) => x.trim()));
  return groupBy.some(isRawDimension) || Object.keys(query).some(isRawDimension);
}

const values = (v: unknown) => [v].flat().filter((x): x is string => typeof x === 'string').flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');

export function resolveBreakdownRequest(metric: Metric, query: Record<string, unknown>, nowMs = Date.now()): BreakdownRequest {
  const problems: { field: string; message: string }[] = [];
  const instant = (name: string): number | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    const ms = typeof v === 'string' ? parseInstant(v) : null;
    if (ms === null) problems.push({ field: name, message: 'must be an ISO-8601 date-time (e.g. 2024-05-01T10:00:00Z) or epoch milliseconds, between 1970 and 2100' });
    return ms ?? undefined;
  };
  const toMs = instant('to') ?? nowMs;
  const fromMs = instant('from') ?? toMs - DAY_MS;
  if (fromMs >= toMs) problems.push({ field: 'from', message: 'must be earlier than to' });
  else if (toMs - fromMs > BREAKDOWN_MAX_RANGE_DAYS * DAY_MS) problems.push({ field: 'from', message: `from..to must span at most ${BREAKDOWN_MAX_RANGE_DAYS} days when grouping by user, session or metadata (raw spans are read)` });
  if (query.interval !== undefined && query.interval !== 'none') problems.push({ field: 'interval', message: 'only none (one row per group over the range) when grouping by user, session or metadata, or with order/limit' });

  const groupBy = [...new Set(values(query.group_by))];
  for (const g of groupBy) if (!isDimension(g)) problems.push({ field: 'group_by', message: `${JSON.stringify(g).slice(0, 66)} is not a group_by column; use ${[...GROUP_COLUMNS, ...RAW_DIMENSIONS].join(', ')} or metadata.<key>` });

  const filters: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(query)) {
    if (['from', 'to', 'interval', 'group_by', 'order', 'limit'].includes(name)) continue;
    if (!isDimension(name)) {
      problems.push({ field: name, message: 'unknown parameter' });
      continue;
    }
    const v = [...new Set(values(raw))];
    if (v.length > MAX_FILTER_VALUES) problems.push({ field: name, message: `at most ${MAX_FILTER_VALUES} values` });
    else if (v.some((x) => x.length > MAX_VALUE_LENGTH)) problems.push({ field: name, message: `each value must be at most ${MAX_VALUE_LENGTH} characters` });
    else if (v.length > 0) filters[name] = v;
  }

  let order: Order | null = null;
  if (query.order !== undefined) {
    if (typeof query.order !== 'string' || !(query.order in ORDERS)) problems.push({ field: 'order', message: `use one of: ${Object.keys(ORDERS).join(', ')}` });
    else if (!METRIC_AGGREGATES[metric].includes(ORDER_NEEDS[query.order as Order])) problems.push({ field: 'order', message: `${query.order} is not a field of the ${metric} metric` });
    else order = query.order as Order;
  }
  let limit = 100;
  if (query.limit !== undefined) {
    const n = typeof query.limit === 'string' && /^\d+$/.test(query.limit) ? Number(query.limit) : Number.NaN;
    if (!(n >= 1 && n <= BREAKDOWN_MAX_LIMIT)) problems.push({ field: 'limit', message: `must be a whole number from 1 to ${BREAKDOWN_MAX_LIMIT}` });
    else limit = n;
  }
  if (problems.length > 0) throw badRequest(problems);
  return { fromMs, toMs, groupBy, filters, order, limit };
}

/** SQL of a dimension (a validated name) and the parameters it binds. */
function dimensionSql(name: string, i: number, params: Record<string, unknown>): { expr: string; alias: string } {
  const m = METADATA_KEY.exec(name);
  if (m) {
    params[`md_key_${i}`] = m[1];
    return { expr: `metadata[{md_key_${i}:String}]`, alias: `\`${name}\`` };
  }
  return { expr: name, alias: name };
}

/** The query and its parameters; rows in the metrics row shape plus the group columns. */
export function buildBreakdownQuery(metric: Metric, r: BreakdownRequest, maxRows: number): { name: string; query: string; params: Record<string, unknown> } {
  const keys = METRIC_AGGREGATES[metric];
  const params: Record<string, unknown> = { from_ms: r.fromMs, to_ms: r.toMs, limit: Math.min(r.limit, maxRows) + 1 };
  const dims = r.groupBy.map((g, i) => dimensionSql(g, i, params));
  const where = ["ts >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')", "ts < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')", "span_kind IN ('llm', 'embedding')"];
  Object.entries(r.filters).forEach(([name, v], i) => {
    const d = dimensionSql(name, 100 + i, params);
    params[`f_${i}`] = v;
    where.push(`${d.expr} IN {f_${i}:Array(String)}`);
  });
  const inner = [
    `SELECT ${[...dims.map((d) => `${d.expr} AS ${d.alias}`), ...keys.map((k) => `${RAW_AGGREGATES[k]} AS a_${k}`)].join(', ')}`,
    'FROM traces FINAL',
    `WHERE ${where.join(' AND ')}`,
    dims.length > 0 ? `GROUP BY ${dims.map((d) => d.alias).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const orderBy = [r.order ? ORDERS[r.order] : null, ...dims.map((d) => d.alias)].filter(Boolean);
  const query = [
    `SELECT ${metricFieldsSql(new Set(keys), false, dims.map((d) => d.alias)).join(',\n  ')}`,
    `FROM (\n${inner}\n)`,
    orderBy.length > 0 ? `ORDER BY ${orderBy.join(', ')}` : '',
    'LIMIT {limit:UInt32}',
  ]
    .filter(Boolean)
    .join('\n');
  return { name: `metrics.${metric}.breakdown${r.groupBy.length ? `.by_${r.groupBy.length}` : ''}`, query, params };
}

