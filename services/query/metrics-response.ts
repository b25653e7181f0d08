/** Turns metrics query rows (a_<key> aliases) into the API's row shape. Pure. */
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

  out.requests = a('requests') as number;
  if (has('cost_usd')) {
    const cost = a('cost_usd') as string;
    const unpriced = Number(a('unpriced_requests'));
    // A group made only of unpriced calls has no cost: null, never "0".
    const nothingPriced = unpriced === (out.requests as number);
    out.cost_usd = nothingPriced ? null : cost;
    out.cost_usd_approx = nothingPriced ? null : Number(cost);
    // cost_usd leaves out unpriced events; say so instead of letting it read as complete.
    out.unpriced_requests = unpriced;
    out.cost_complete = unpriced === 0;
    out.client_cost_usd = a('client_cost_usd') as string;
  }
  if (has('errors')) {
    out.errors = a('errors') as number;
    out.error_rate = a('error_rate') as number | null;
  }
  if (has('latency_q')) {
    out.latency_avg_ms = a('latency_avg_ms') as number | null;
    const lq = a('latency_q') as (number | null)[];
    QUANTILE_NAMES.forEach((q, i) => (out[`latency_${q}_ms`] = lq[i] ?? null));
    out.latency_max_ms = a('latency_max_ms') as number;
    const tq = a('ttft_q') as (number | null)[];
    QUANTILE_NAMES.forEach((q, i) => (out[`ttft_${q}_ms`] = tq[i] ?? null));
  }
  if (has('input_tokens')) {
    const input = a('input_tokens') as number;
    const output = a('output_tokens') as number;
    out.input_tokens = input;
    out.output_tokens = output;
    out.cached_input_tokens = a('cached_input_tokens') as number;
    out.cache_write_tokens = a('cache_write_tokens') as number;
    out.reasoning_tokens = a('reasoning_tokens') as number;
    // input includes cached/cache-write and output includes reasoning (OTel GenAI), so
    // the total is input + output, not the sum of all five.
    out.total_tokens = input + output;
  }
  return out;
}
