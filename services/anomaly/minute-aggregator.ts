import { MINUTE_MS } from '../core/time.ts';
import type { EnrichedTrace } from '../core/schema/enriched-trace.ts';
import type { Score } from '../core/schema/score.ts';
import { createLatencyHistogram, type LatencyHistogram } from './latency-histogram.ts';
import { createRecentTraces, type RecentTraces } from './recent-traces.ts';
import { ALL, isNegativeFeedback, seriesKey, type MinuteAggregate, type SeriesId } from './types.ts';
import { MODEL_CALL_KINDS } from '../core/schema/trace-event.ts';

/**
 * Per-minute aggregates by event time for every series level: (feature, model),
 * (feature, *), (*, model) and (*, *). A minute stays open until `graceMs` after it
 * ended, so late events still count; later ones are dropped and counted (`late`).
 *
 * Traces count in the minute of their timestamp. Scores count in the minute they were
 * made (`ts`): an eval or a thumbs-down is news when it arrives. User feedback carries
 * no feature/model; it takes them from the trace it rates when that trace passed
 * through recently (a bounded memory of trace_id → series), else it counts globally.
 */

interface Acc {
  requests: number;
  errors: number;
  cost_usd: number;
  unpriced: number;
  tokens: number;
  latency: LatencyHistogram;
  eval_count: number;
  eval_sum: number;
  feedback_count: number;
  feedback_negative: number;
  promptVersions: Map<string, number>;
}

export interface ClosedMinute {
  minute: number;
  rows: { series: SeriesId; agg: MinuteAggregate }[];
}

export interface AggregatorStats {
  open_minutes: number;
  late_traces: number;
  late_scores: number;
  feedback_without_trace: number;
  closed_through: number | null;
}

export interface MinuteAggregator {
  addTrace(t: EnrichedTrace): void;
  addScore(s: Score): void;
  /** Closes, in order, every minute that ended at least `graceMs` before `now` (empty minutes too). */
  closeReady(now: number): ClosedMinute[];
  /** Minutes up to and including this one are closed (e.g. judged from ClickHouse at start): their events are late. */
  markClosedThrough(minute: number): void;
  stats(): AggregatorStats;
}

const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

function newAcc(): Acc {
  return { requests: 0, errors: 0, cost_usd: 0, unpriced: 0, tokens: 0, latency: createLatencyHistogram(), eval_count: 0, eval_sum: 0, feedback_count: 0, feedback_negative: 0, promptVersions: new Map() };
}

/** The four series an event of (feature, model) counts in. */
export function seriesLevels(feature: string, model: string): SeriesId[] {
  return [
    { feature, model },
    { feature, model: ALL },
    { feature: ALL, model },
    { feature: ALL, model: ALL },
  ];
}

export function toMinuteAggregate(minute: number, a: Acc): MinuteAggregate {
  return {
    minute,
    requests: a.requests,
    errors: a.errors,
    cost_usd: a.cost_usd,
    unpriced: a.unpriced,
    tokens: a.tokens,
    latency_p95_ms: a.latency.count > 0 ? a.latency.quantile(0.95) : null,
    eval_count: a.eval_count,
    eval_sum: a.eval_sum,
    feedback_count: a.feedback_count,
    feedback_negative: a.feedback_negative,
    prompt_versions: [...a.promptVersions.entries()].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([v]) => v),
  };
}

export function createMinuteAggregator(options: { graceMs: number; recentTraces?: number }): MinuteAggregator {
  const minutes = new Map<number, Map<string, { series: SeriesId; acc: Acc }>>();
  const recent: RecentTraces = createRecentTraces(options.recentTraces ?? 100_000);
  let closedThrough: number | null = null;
  const counters = { late_traces: 0, late_scores: 0, feedback_without_trace: 0 };

  function accsFor(ts: number, feature: string, model: string): Acc[] | null {
    const minute = floorMinute(ts);
    if (closedThrough !== null && minute <= closedThrough) return null;
    let bucket = minutes.get(minute);
    if (!bucket) minutes.set(minute, (bucket = new Map()));
    const out: Acc[] = [];
    for (const series of feature === ALL && model === ALL ? [{ feature: ALL, model: ALL }] : seriesLevels(feature, model)) {
      const key = seriesKey(series);
      let slot = bucket.get(key);
      if (!slot) bucket.set(key, (slot = { series, acc: newAcc() }));
      out.push(slot.acc);
    }
    return out;
  }

  return {
    addTrace(t) {
      const e = t.event;
      // An agent, tool or retrieval span calls no model: not a request of the series (its
      // LLM children are), and not what feedback on the trace is attributed to.
      if (!MODEL_CALL_KINDS.has(e.span_kind)) return;
      recent.remember(e.trace_id, e.feature, e.model);
      const accs = accsFor(e.timestamp, e.feature, e.model);
      if (!accs) {
        counters.late_traces++;
        return;
      }
      const isError = e.status === 'error';
      const cost = t.cost_pico_usd === null ? 0 : t.cost_pico_usd / 1e12;
      const tokens = e.input_tokens + e.output_tokens;
      for (const a of accs) {
        a.requests++;
        if (isError) a.errors++;
        if (t.cost_pico_usd === null) a.unpriced++;
        else a.cost_usd += cost;
        a.tokens += tokens;
        a.latency.add(e.latency_ms);
        if (e.prompt_version) a.promptVersions.set(e.prompt_version, (a.promptVersions.get(e.prompt_version) ?? 0) + 1);
      }
    },

    addScore(s) {
      if (s.status !== 'ok') return;
      let feature = s.feature;
      let model = s.model;
      if (feature === null || model === null) {
        const seen = recent.lookup(s.trace_id);
        if (seen) ({ feature, model } = seen);
        else counters.feedback_without_trace++;
      }
      const accs = accsFor(s.ts, feature ?? ALL, model ?? ALL);
      if (!accs) {
        counters.late_scores++;
        return;
      }
      for (const a of accs) {
        if (s.source === 'eval') {
          if (s.value === null) continue;
          a.eval_count++;
          a.eval_sum += s.value;
        } else {
          a.feedback_count++;
          if (isNegativeFeedback(s)) a.feedback_negative++;
        }
      }
    },

    closeReady(now) {
      const lastClosable = floorMinute(now - options.graceMs) - MINUTE_MS;
      if (closedThrough === null) {
        // First close: start from the oldest open minute (or just the last closable one).
        const oldest = Math.min(lastClosable + MINUTE_MS, ...minutes.keys());
        closedThrough = oldest - MINUTE_MS;
      }
      const out: ClosedMinute[] = [];
      for (let m = closedThrough + MINUTE_MS; m <= lastClosable; m += MINUTE_MS) {
        const bucket = minutes.get(m);
        minutes.delete(m);
        out.push({ minute: m, rows: bucket ? [...bucket.values()].map(({ series, acc }) => ({ series, agg: toMinuteAggregate(m, acc) })) : [] });
        closedThrough = m;
      }
      return out;
    },

    markClosedThrough(minute) {
      closedThrough = closedThrough === null ? minute : Math.max(closedThrough, minute);
      for (const m of [...minutes.keys()]) if (m <= closedThrough) minutes.delete(m);
    },

    stats: () => ({ open_minutes: minutes.size, ...counters, closed_through: closedThrough }),
  };
}
