import { MINUTE_MS } from '../core/time.ts';
import type { Store } from '../core/store/store.ts';
import { emptyAggregate } from './detectors/metric-values.ts';
import type { ClosedMinute } from './minute-aggregator.ts';
import { ALL, isNegativeFeedback, seriesKey, type AlertEvent, type MinuteAggregate, type SeriesId } from './types.ts';

/**
 * What the anomaly service reads back from ClickHouse: per-minute aggregates for every
 * series level from the minute rollups (warm-up and catch-up), the alerts still open,
 * and the last minute it judged. Every value is a bound parameter.
 */

/** GROUPING SETS leave the rolled-up column empty; names are never empty, so '' means "all". */
const dim = (v: unknown): string => (v === '' || v === null || v === undefined ? ALL : String(v));
const sec = (ms: number) => Math.floor(ms / 1000);

const TRACE_MINUTES_SQL = `
SELECT toInt64(toUnixTimestamp(bucket)) * 1000 AS minute, feature, model,
       sum(requests) AS requests, sum(errors) AS errors, sum(unpriced) AS unpriced,
       toFloat64(sum(cost_usd_sum)) AS cost_usd,
       sum(input_tokens_sum) + sum(output_tokens_sum) AS tokens,
       quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[3] AS latency_p95_ms
FROM traces_1m
WHERE bucket >= toDateTime({from:UInt32}) AND bucket < toDateTime({to:UInt32})
GROUP BY GROUPING SETS ((bucket, feature, model), (bucket, feature), (bucket, model), (bucket))
ORDER BY minute`;

/** Scores by the minute they were made; feedback takes its trace's feature/model. */
const SCORE_MINUTES_SQL = `
SELECT toInt64(toUnixTimestamp(toStartOfMinute(s.ts))) * 1000 AS minute,
       if(s.feature = '', ifNull(t.feature, ''), s.feature) AS f,
       if(s.model = '', ifNull(t.model, ''), s.model) AS m,
       s.source AS source, s.value AS value, s.passed AS passed
FROM (SELECT * FROM scores FINAL WHERE ts >= fromUnixTimestamp64Milli({fromMs:Int64}) AND ts < fromUnixTimestamp64Milli({toMs:Int64}) AND status = 'ok') AS s
LEFT JOIN (
  SELECT trace_id, any(feature) AS feature, any(model) AS model FROM traces
  WHERE trace_id IN (SELECT trace_id FROM scores WHERE source = 'user' AND ts >= fromUnixTimestamp64Milli({fromMs:Int64}) AND ts < fromUnixTimestamp64Milli({toMs:Int64}))
  GROUP BY trace_id
) AS t ON s.trace_id = t.trace_id
SETTINGS join_use_nulls = 1`;

interface TraceMinuteRow {
  minute: number | string;
  feature: string;
  model: string;
  requests: number | string;
  errors: number | string;
  unpriced: number | string;
  cost_usd: number;
  tokens: number | string;
  latency_p95_ms: number;
}

/** Closed minutes in [fromMs, toMs) from the rollups, one entry per minute (empty minutes included), ascending. */
export async function readMinutes(store: Store, fromMs: number, toMs: number): Promise<ClosedMinute[]> {
  const byMinute = new Map<number, Map<string, { series: SeriesId; agg: MinuteAggregate }>>();
  const slot = (minute: number, series: SeriesId) => {
    let m = byMinute.get(minute);
    if (!m) byMinute.set(minute, (m = new Map()));
    const key = seriesKey(series);
    let s = m.get(key);
    if (!s) m.set(key, (s = { series, agg: emptyAggregate(minute) }));
    return s.agg;
  };
  const traces = await store.query<TraceMinuteRow>(TRACE_MINUTES_SQL, { from: sec(fromMs), to: sec(toMs) });
  for (const r of traces) {
    const a = slot(Number(r.minute), { feature: dim(r.feature), model: dim(r.model) });
    a.requests = Number(r.requests);
    a.errors = Number(r.errors);
    a.unpriced = Number(r.unpriced);
    a.cost_usd = Number(r.cost_usd);
    a.tokens = Number(r.tokens);
    a.latency_p95_ms = a.requests > 0 ? Number(r.latency_p95_ms) : null;
  }
  const scores = await store.query<{ minute: number | string; f: string; m: string; source: string; value: number | null; passed: number | null }>(SCORE_MINUTES_SQL, { fromMs, toMs });
  for (const r of scores) {
    const minute = Number(r.minute);
    const feature = dim(r.f);
    const model = dim(r.m);
    const levels: SeriesId[] = feature === ALL || model === ALL ? [{ feature: ALL, model: ALL }] : [
      { feature, model }, { feature, model: ALL }, { feature: ALL, model }, { feature: ALL, model: ALL },
    ];
    for (const series of levels) {
      const a = slot(minute, series);
      if (r.source === 'eval') {
        if (r.value === null) continue;
        a.eval_count++;
        a.eval_sum += Number(r.value);
      } else {
        a.feedback_count++;
        if (isNegativeFeedback({ passed: r.passed === null ? null : Number(r.passed) === 1, value: r.value === null ? null : Number(r.value) })) a.feedback_negative++;
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

/** The last minute this consumer group judged, or null on a first start. */
export async function readProgress(store: Store, group: string): Promise<number | null> {
  const rows = await store.query<{ closed_through: number | string }>(
    `SELECT toInt64(toUnixTimestamp(argMax(closed_through, updated_at))) * 1000 AS closed_through FROM anomaly_progress WHERE consumer_group = {group:String} HAVING count() > 0`,
    { group },
  );
  return rows.length > 0 ? Number(rows[0].closed_through) : null;
}

export async function writeProgress(store: Store, group: string, minute: number): Promise<void> {
  await store.insert('anomaly_progress', [{ consumer_group: group, closed_through: sec(minute), updated_at: Date.now() }], { dedupToken: `progress-${group.replace(/[^A-Za-z0-9_.:-]/g, '_')}-${minute}` });
}

const ALERT_COLUMNS = ['alert_id', 'state', 'previous', 'at', 'started_at', 'severity', 'direction', 'value', 'expected', 'score', 'deviation', 'summary', 'detector', 'prompt_version', 'covered_by'] as const;

/** The latest change of every alert that is not resolved (pending or firing), for restore at start. */
export async function readOpenAlerts(store: Store): Promise<AlertEvent[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT rule, metric, feature, model, ${ALERT_COLUMNS.map((c) => `argMax(${c}, tuple(at, state = 'resolved')) AS ${c}_`).join(', ')},
            argMax(recent, tuple(at, state = 'resolved')) AS recent_
     FROM alerts FINAL GROUP BY rule, metric, feature, model HAVING state_ != 'resolved'`,
  );
  return rows.map((r) => ({
    alert_id: String(r.alert_id_),
    key: { rule: String(r.rule), metric: r.metric as AlertEvent['key']['metric'], feature: String(r.feature), model: String(r.model) },
    state: r.state_ as AlertEvent['state'],
    previous: r.previous_ === '' ? null : (r.previous_ as AlertEvent['state']),
    at: Date.parse(`${String(r.at_).replace(' ', 'T')}Z`),
    started_at: Date.parse(`${String(r.started_at_).replace(' ', 'T')}Z`),
    severity: r.severity_ as AlertEvent['severity'],
    direction: r.direction_ as AlertEvent['direction'],
    value: r.value_ === null ? null : Number(r.value_),
    expected: r.expected_ === null ? null : Number(r.expected_),
    score: Number(r.score_),
    deviation: String(r.deviation_),
    summary: String(r.summary_),
    detector: String(r.detector_),
    prompt_version: r.prompt_version_ === '' ? null : String(r.prompt_version_),
    recent: (r.recent_ as (number | null)[]) ?? [],
    covered_by: r.covered_by_ === '' ? null : String(r.covered_by_),
  }));
}

/** Spend so far today and this month (UTC) per feature, and in total under '*', from the hour rollup. */
export async function readSpend(store: Store, now: number): Promise<Map<string, { day_usd: number; month_usd: number }>> {
  const rows = await store.query<{ feature: string; day_usd: number; month_usd: number }>(
    `SELECT feature, toFloat64(sumIf(cost_usd_sum, bucket >= toStartOfDay(toDateTime({now:UInt32}, 'UTC')))) AS day_usd, toFloat64(sum(cost_usd_sum)) AS month_usd
     FROM traces_1h WHERE bucket >= toStartOfMonth(toDateTime({now:UInt32}, 'UTC')) AND bucket <= toDateTime({now:UInt32}, 'UTC')
     GROUP BY GROUPING SETS ((feature), ())`,
    { now: sec(now) },
  );
  const out = new Map<string, { day_usd: number; month_usd: number }>();
  for (const r of rows) out.set(dim(r.feature), { day_usd: Number(r.day_usd), month_usd: Number(r.month_usd) });
  if (!out.has(ALL)) out.set(ALL, { day_usd: 0, month_usd: 0 });
  return out;
}
