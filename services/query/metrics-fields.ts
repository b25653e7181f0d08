/**
 * The API's row shape of the metrics endpoints, written by the engine: the outer SELECT
 * over a metrics query's aggregates (a_<key> aliases) naming every field as the API
 * does, so its JSONEachRow lines are the response rows as they are. Pure.
 * - bucket: ISO-8601 UTC ('2024-05-01T10:00:00.000Z');
 * - cost_usd: exact decimal string, null when no call of the group has a price (never
 *   "0"); cost_usd_approx the same as a number; cost_complete whether none was unpriced;
 * - quantiles p50/p90/p95/p99 (t-digest), null where no call reported one (NaN);
 * - total_tokens = input + output (input includes cached/cache-write tokens and output
 *   includes reasoning, OTel GenAI), not the sum of all five.
 * Counts are JSON numbers (the store's queryJsonLines does not quote 64-bit integers).
 */
import type { AggregateKey } from './metrics-query.ts';

const QUANTILES = ['p50', 'p90', 'p95', 'p99'] as const;

/** `dims`: the group columns (already whitelisted SQL identifiers). */
export function metricFieldsSql(keys: ReadonlySet<AggregateKey>, bucketed: boolean, dims: readonly string[]): string[] {
  const out: string[] = [];
  if (bucketed) out.push("formatDateTime(bucket_start, '%Y-%m-%dT%H:%i:%S.000Z') AS bucket");
  out.push(...dims);
  out.push('a_requests AS requests');
  if (keys.has('cost_usd')) {
    const nothingPriced = 'a_unpriced_requests = a_requests';
    out.push(
      `if(${nothingPriced}, NULL, a_cost_usd) AS cost_usd`,
      `if(${nothingPriced}, NULL, toFloat64OrNull(a_cost_usd)) AS cost_usd_approx`,
      'a_unpriced_requests AS unpriced_requests',
      'toBool(a_unpriced_requests = 0) AS cost_complete',
      'a_fallback_rate_requests AS fallback_rate_requests',
      'a_client_cost_usd AS client_cost_usd',
    );
  }
  if (keys.has('errors')) out.push('a_errors AS errors', 'a_error_rate AS error_rate');
  if (keys.has('latency_q')) {
    out.push('a_latency_avg_ms AS latency_avg_ms');
    QUANTILES.forEach((q, i) => out.push(`a_latency_q[${i + 1}] AS latency_${q}_ms`));
    out.push('a_latency_max_ms AS latency_max_ms');
    QUANTILES.forEach((q, i) => out.push(`a_ttft_q[${i + 1}] AS ttft_${q}_ms`));
  }
  if (keys.has('input_tokens')) {
    out.push(
      'a_input_tokens AS input_tokens',
      'a_output_tokens AS output_tokens',
      'a_cached_input_tokens AS cached_input_tokens',
      'a_cache_write_tokens AS cache_write_tokens',
      'a_reasoning_tokens AS reasoning_tokens',
      'a_cache_write_1h_tokens AS cache_write_1h_tokens',
      'a_input_audio_tokens AS input_audio_tokens',
      'a_output_audio_tokens AS output_audio_tokens',
      'a_input_image_tokens AS input_image_tokens',
      'a_output_image_tokens AS output_image_tokens',
      'a_input_tokens + a_output_tokens AS total_tokens',
    );
  }
  return out;
}
