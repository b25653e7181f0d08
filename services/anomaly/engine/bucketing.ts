/**
 * Real series as they come, onto a regular grid: repeated, out-of-order and jittered
 * timestamps and gaps are bucketed onto the series' interval instead of refused.
 *
 * A row at time t goes to slot round((t − t0) / interval), t0 the earliest timestamp, so
 * a sample that jitters by less than half an interval lands on its own slot. Rows that
 * share a slot are merged by the aggregation of the metric's kind:
 *   - `sum` for counts and cost (two half-minute deliveries of requests are the minute's requests),
 *   - `mean` for gauges sampled at some rate (CPU, queue length: the default of the CLI),
 *   - `max` for tail gauges such as latency p95 (the worse sample is the one that matters).
 * Slots without a row are missing (null), never invented: the detectors treat them as gaps.
 */
export type Aggregation = 'sum' | 'mean' | 'max';

export interface TimedValue {
  ms: number;
  value: number;
}

export interface Buckets {
  /** Time of slot 0 (the earliest timestamp). */
  t0: number;
  intervalMs: number;
  /** One entry per slot from the first to the last row; null = no row in that slot. */
  values: (number | null)[];
  /** For each slot, the indexes (into the input) of the rows merged into it. */
  rowsOf: number[][];
  summary: BucketSummary;
}

export interface BucketSummary {
  rows: number;
  slots: number;
  /** Rows merged into a slot that already had one (repeated or sub-interval timestamps). */
  merged: number;
  /** Rows whose timestamp was before the previous row's. */
  outOfOrder: number;
  /** Slots between the first and the last row without any row. */
  missing: number;
}

/** Median positive gap between distinct sorted timestamps (60 000 ms when there are fewer than two). */
export function inferIntervalMs(ms: readonly number[]): number {
  const sorted = [...ms].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) if (sorted[i] > sorted[i - 1]) gaps.push(sorted[i] - sorted[i - 1]);
  if (gaps.length === 0) return 60_000;
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1];
}

export function bucketSeries(rows: readonly TimedValue[], intervalMs: number, aggregation: Aggregation): Buckets {
  if (!(intervalMs > 0)) throw new RangeError(`interval must be positive, got ${intervalMs}`);
  let outOfOrder = 0;
  let t0 = Infinity;
  let tEnd = -Infinity;
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && rows[i].ms < rows[i - 1].ms) outOfOrder++;
    t0 = Math.min(t0, rows[i].ms);
    tEnd = Math.max(tEnd, rows[i].ms);
  }
  if (rows.length === 0) return { t0: 0, intervalMs, values: [], rowsOf: [], summary: { rows: 0, slots: 0, merged: 0, outOfOrder: 0, missing: 0 } };
  const slots = Math.round((tEnd - t0) / intervalMs) + 1;
  const acc = new Float64Array(slots);
  const count = new Uint32Array(slots);
  const rowsOf: number[][] = Array.from({ length: slots }, () => []);
  let merged = 0;
  for (let i = 0; i < rows.length; i++) {
    const slot = Math.round((rows[i].ms - t0) / intervalMs);
    const v = rows[i].value;
    if (count[slot] > 0) merged++;
    acc[slot] = count[slot] === 0 ? v : aggregation === 'max' ? Math.max(acc[slot], v) : acc[slot] + v;
    count[slot]++;
    rowsOf[slot].push(i);
  }
  const values: (number | null)[] = new Array(slots);
  let missing = 0;
  for (let s = 0; s < slots; s++) {
    if (count[s] === 0) {
      values[s] = null;
      missing++;
    } else values[s] = aggregation === 'mean' ? acc[s] / count[s] : acc[s];
  }
  return { t0, intervalMs, values, rowsOf, summary: { rows: rows.length, slots, merged, outOfOrder, missing } };
}

/** The one line printed about what bucketing did. */
export function formatBucketSummary(s: BucketSummary, intervalMs: number, aggregation: Aggregation): string {
  return `${s.rows} rows onto ${s.slots} slots of ${intervalMs / 1000}s (${aggregation}): ${s.merged} merged, ${s.outOfOrder} out of order, ${s.missing} missing`;
}
