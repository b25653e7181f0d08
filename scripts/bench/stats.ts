/** Pure statistics for the benchmark: percentiles and latency summaries. */

/**
 * The p-th percentile (0..100) of `values` by the nearest-rank method on a sorted copy:
 * the smallest value such that at least p % of the values are ≤ it. NaN for no values.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  if (p === 0) return sorted[0];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** count/min/p50/p95/p99/max/mean of `values` (ms), rounded to 0.1. */
export function summarize(values: readonly number[]): LatencySummary {
  const r = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : Number.NaN);
  if (values.length === 0) return { count: 0, min: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return {
    count: values.length,
    min: r(min),
    p50: r(percentile(values, 50)),
    p95: r(percentile(values, 95)),
    p99: r(percentile(values, 99)),
    max: r(max),
    mean: r(sum / values.length),
  };
}

/** Events per second, 0 when no time passed. */
export function rate(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}
