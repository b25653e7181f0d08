/**
 * Turns metrics query rows (a_<key> aliases) into the API's row shape. Pure; no schema
 * library per row: counts are read with Number() (UInt64 arrives as a number from chDB
 * and as a string from a server), decimals stay exact strings, and a row without its
 * request count is refused (the query's shape changed under us).
 */
import type { GroupColumn, Interval } from './params.ts';
import { clickhouseTimeToIso } from './time.ts';

export type MetricsRow = Record<string, string | number | boolean | null>;

const QUANTILE_NAMES = ['p50', 'p90', 'p95', 'p99'] as const;

export function shapeMetricsRow(row: Record<string, unknown>, interval: Interval, groupBy: readonly GroupColumn[]): MetricsRow {
  const out: MetricsRow = {};
  if (interval !== 'none') out.bucket = clickhouseTimeToIso(String(row.bucket_start));
  for (const g of groupBy) out[g] = String(row[g]);
  const a = (k: string): unknown => row[`a_${k}`];
  const has = (k: string): boolean => `a_${k}` in row;

  const requests = num(a('requests'), 'requests');
  out.requests = requests;
  if (has('cost_usd')) {
    const cost = String(a('cost_usd'));
    const unpriced = num(a('unpriced_requests'), 'unpriced_requests');
    // A group made only of unpriced calls has no cost: null, never "0".
    const nothingPriced = unpriced === requests;
    out.cost_usd = nothingPriced ? null : cost;
    out.cost_usd_approx = nothingPriced ? null : Number(cost);
    // cost_usd leaves out unpriced events; say so instead of letting it read as complete.
    out.unpriced_requests = unpriced;
    out.cost_complete = unpriced === 0;
    out.client_cost_usd = String(a('client_cost_usd'));
  }
  if (has('errors')) {
    out.errors = num(a('errors'), 'errors');
    out.error_rate = (a('error_rate') as number | null) ?? null;
  }
  if (has('latency_q')) {
    out.latency_avg_ms = (a('latency_avg_ms') as number | null) ?? null;
    const lq = quantiles(a('latency_q'), 'latency_q');
    QUANTILE_NAMES.forEach((q, i) => (out[`latency_${q}_ms`] = lq[i] ?? null));
    out.latency_max_ms = num(a('latency_max_ms'), 'latency_max_ms');
    const tq = quantiles(a('ttft_q'), 'ttft_q');
    QUANTILE_NAMES.forEach((q, i) => (out[`ttft_${q}_ms`] = tq[i] ?? null));
  }
  if (has('input_tokens')) {
    const input = num(a('input_tokens'), 'input_tokens');
    const output = num(a('output_tokens'), 'output_tokens');
    out.input_tokens = input;
    out.output_tokens = output;
    out.cached_input_tokens = num(a('cached_input_tokens'), 'cached_input_tokens');
    out.cache_write_tokens = num(a('cache_write_tokens'), 'cache_write_tokens');
    out.reasoning_tokens = num(a('reasoning_tokens'), 'reasoning_tokens');
    // input includes cached/cache-write and output includes reasoning (OTel GenAI), so
    // the total is input + output, not the sum of all five.
    out.total_tokens = input + output;
  }
  return out;
}

function num(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) throw new Error(`${what} is not a number: ${JSON.stringify(v)}`);
  return n;
}

/** p50, p90, p95, p99; NaN (no data) arrives as null. */
function quantiles(v: unknown, what: string): (number | null)[] {
  if (!Array.isArray(v) || v.length !== 4) throw new Error(`${what} is not 4 quantiles: ${JSON.stringify(v)}`);
  return v as (number | null)[];
}
