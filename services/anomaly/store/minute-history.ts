import { z } from 'zod';
import { MINUTE_MS } from '../../core/time.ts';
import { defineQuery, runQuery } from '../../core/store/named-query.ts';
import type { Store } from '../../core/store/store.ts';
import { emptyAggregate } from '../detectors/metric-values.ts';
import type { ClosedMinute } from '../minute-aggregator.ts';
import { ALL, isNegativeFeedback, seriesKey, type MinuteAggregate, type SeriesId } from '../types.ts';
import { dimColumn, num, sec } from './row-values.ts';

/**
 * Per-minute aggregates for every series level, read back for warm-up and catch-up: the
 * trace minute rollup (traces_1m) and the scores of the same minutes.
 */

/** traces_1m.series_minutes: every minute of [from, to) (epoch s) at all four series levels. */
export const traceMinutes = defineQuery({
  name: 'traces_1m.series_minutes',
  query: `
SELECT toInt64(toUnixTimestamp(bucket)) * 1000 AS minute, feature, model,
       sum(requests) AS requests, sum(errors) AS errors, sum(unpriced) AS unpriced,
       toFloat64(sum(cost_usd_sum)) AS cost_usd,
       sum(input_tokens_sum) + sum(output_tokens_sum) AS tokens,
       quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[3] AS latency_p95_ms
FROM traces_1m
WHERE bucket >= toDateTime({from:UInt32}) AND bucket < toDateTime({to:UInt32})
GROUP BY GROUPING SETS ((bucket, feature, model), (bucket, feature), (bucket, model), (bucket))
ORDER BY minute`,
  params: z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() }),
  row: z.object({
    minute: num,
    feature: dimColumn,
    model: dimColumn,
    requests: num,
    errors: num,
    unpriced: num,
    cost_usd: num,
    tokens: num,
    /** Float; null (JSON for NaN) when the minute has no events. */
    latency_p95_ms: z.number().nullable(),
  }),
});

/** scores.minutes: ok scores made in [fromMs, toMs), feedback taking its trace's feature/model. */
export const scoreMinutes = defineQuery({
  name: 'scores.minutes',
  query: `
SELECT toInt64(toUnixTimestamp(toStartOfMinute(s.ts))) * 1000 AS minute,
       if(s.feature = '', ifNull(t.feature, ''), s.feature) AS f,
       if(s.model = '', ifNull(t.model, ''), s.model) AS m,
       s.source AS source, s.value AS value, s.passed AS passed
FROM (SELECT * FROM scores FINAL WHERE ts >= fromUnixTimestamp64Milli({fromMs:Int64}) AND ts < fromUnixTimestamp64Milli({toMs:Int64}) AND status = 'ok') AS s
LEFT JOIN (
  SELECT trace_id, any(feature) AS feature, anyIf(model, model != '') AS model FROM traces
  WHERE trace_id IN (SELECT trace_id FROM scores WHERE source = 'user' AND ts >= fromUnixTimestamp64Milli({fromMs:Int64}) AND ts < fromUnixTimestamp64Milli({toMs:Int64}))
  GROUP BY trace_id
) AS t ON s.trace_id = t.trace_id
SETTINGS join_use_nulls = 1`,
  params: z.object({ fromMs: z.number().int(), toMs: z.number().int() }),
  row: z.object({
    minute: num,
    f: dimColumn,
    m: dimColumn,
    source: z.string(),
    value: z.number().nullable(),
    passed: z.number().nullable(),
  }),
});

export type TraceMinuteRow = z.output<typeof traceMinutes.row>;
export type ScoreMinuteRow = z.output<typeof scoreMinutes.row>;

/** Closed minutes in [fromMs, toMs) from the rollups, one entry per minute (empty minutes included), ascending. */
export async function readMinutes(store: Store, fromMs: number, toMs: number): Promise<ClosedMinute[]> {
  const traces = await runQuery(store, traceMinutes, { from: sec(fromMs), to: sec(toMs) });
  const scores = await runQuery(store, scoreMinutes, { fromMs, toMs });
  return closedMinutes(fromMs, toMs, traces, scores);
}

/** The rows of both queries as closed minutes: traces set a series' sums, scores add to every level they belong to. */
export function closedMinutes(fromMs: number, toMs: number, traces: readonly TraceMinuteRow[], scores: readonly ScoreMinuteRow[]): ClosedMinute[] {
  const byMinute = new Map<number, Map<string, { series: SeriesId; agg: MinuteAggregate }>>();
  const slot = (minute: number, series: SeriesId) => {
    let m = byMinute.get(minute);
    if (!m) byMinute.set(minute, (m = new Map()));
    const key = seriesKey(series);
    let s = m.get(key);
    if (!s) m.set(key, (s = { series, agg: emptyAggregate(minute) }));
    return s.agg;
  };
  for (const r of traces) {
    const a = slot(r.minute, { feature: r.feature, model: r.model });
    a.requests = r.requests;
    a.errors = r.errors;
    a.unpriced = r.unpriced;
    a.cost_usd = r.cost_usd;
    a.tokens = r.tokens;
    a.latency_p95_ms = a.requests > 0 ? Number(r.latency_p95_ms) : null;
  }
  for (const r of scores) {
    const { minute, f: feature, m: model } = r;
    const levels: SeriesId[] = feature === ALL || model === ALL ? [{ feature: ALL, model: ALL }] : [
      { feature, model }, { feature, model: ALL }, { feature: ALL, model }, { feature: ALL, model: ALL },
    ];
    for (const series of levels) {
      const a = slot(minute, series);
      if (r.source === 'eval') {
        if (r.value === null) continue;
        a.eval_count++;
        a.eval_sum += r.value;
      } else {
        a.feedback_count++;
        if (isNegativeFeedback({ passed: r.passed === null ? null : r.passed === 1, value: r.value })) a.feedback_negative++;
      }
    }
  }
  const out: ClosedMinute[] = [];
  for (let m = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS; m < toMs; m += MINUTE_MS) {
    const rows = byMinute.get(m);
    out.push({ minute: m, rows: rows ? [...rows.values()] : [] });
  }
  return out;
}
