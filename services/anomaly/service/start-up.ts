import type { Store } from '../../core/store/store.ts';
import { DAY_MS, MINUTE_MS } from '../../core/time.ts';
import type { DetectionEngine } from '../engine/engine.ts';
import { readMinutes } from '../store/minute-history.ts';
import { readOpenAlerts } from '../store/open-alerts.ts';
import { readProgress } from '../store/progress.ts';
import type { ClosedMinute, MinuteAggregator } from '../minute-aggregator.ts';
import type { StaticRules } from '../rules/static-rules.ts';
import { seriesKey, type MinuteAggregate, type SeriesId } from '../types.ts';
import type { AlertDelivery } from './alert-delivery.ts';
import type { ServiceCounters } from './counters.ts';

/**
 * The service's start from history, before it consumes: reopen alerts that are still
 * open (so nothing re-alerts), warm the baselines from the minute rollups
 * (ANOMALY_WARM_DAYS), then judge the minutes since the last judged one from ClickHouse
 * (catch-up after downtime, at most ANOMALY_CATCHUP_MINUTES). Events of minutes judged
 * here are late for the aggregator and dropped.
 */
export interface CatchUpPlan {
  /** Start of the last minute whose grace period is over at start. */
  lastClosable: number;
  /** First minute to judge from history (judge none if after lastClosable). */
  catchupFrom: number;
  /** Warm the baselines from these minutes' rollups; null: no warm-up. */
  warm: { fromMs: number; toMs: number } | null;
}

/** What to warm and catch up at `at`, given the last judged minute (`progress`, null: none yet). */
export function catchUpPlan(p: { at: number; graceMs: number; progress: number | null; catchupMinutes: number; warmDays: number }): CatchUpPlan {
  const lastClosable = Math.floor((p.at - p.graceMs) / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  const catchupFrom = Math.max(lastClosable - (p.catchupMinutes - 1) * MINUTE_MS, p.progress === null ? -Infinity : p.progress + MINUTE_MS);
  return { lastClosable, catchupFrom, warm: p.warmDays > 0 ? { fromMs: catchupFrom - p.warmDays * DAY_MS, toMs: catchupFrom } : null };
}

/** Rollup minutes regrouped per series, minutes ascending within each (the order engine.warm wants). */
export function bySeries(minutes: readonly ClosedMinute[]): { series: SeriesId; aggs: MinuteAggregate[] }[] {
  const out = new Map<string, { series: SeriesId; aggs: MinuteAggregate[] }>();
  for (const m of minutes) {
    for (const { series, agg } of m.rows) {
      const k = seriesKey(series);
      let s = out.get(k);
      if (!s) out.set(k, (s = { series, aggs: [] }));
      s.aggs.push(agg);
    }
  }
  return [...out.values()];
}

export interface StartUpDeps {
  store: Store;
  group: string;
  engine: Pick<DetectionEngine, 'restore' | 'warm'>;
  rules: Pick<StaticRules, 'restore'>;
  aggregator: Pick<MinuteAggregator, 'markClosedThrough'>;
  judge: (closed: ClosedMinute) => void;
  delivery: AlertDelivery;
  counters: ServiceCounters;
  graceMs: number;
  warmDays: number;
  catchupMinutes: number;
  now: () => number;
}

/** Restores, warms, catches up and delivers what the catch-up found; returns what the start-up log reports. */
export async function startFromHistory(deps: StartUpDeps): Promise<{ restoredOpenAlerts: number; progress: number | null }> {
  const { store, engine, counters } = deps;
  const open = await readOpenAlerts(store);
  engine.restore(open.filter((e) => e.key.rule === 'anomaly'));
  deps.rules.restore(open.filter((e) => e.key.rule !== 'anomaly'));
  const at = deps.now();
  const progress = await readProgress(store, deps.group);
  const plan = catchUpPlan({ at, graceMs: deps.graceMs, progress, catchupMinutes: deps.catchupMinutes, warmDays: deps.warmDays });
  if (plan.warm) {
    // One day of rollups per read.
    for (let day = plan.warm.fromMs; day < plan.warm.toMs; day += DAY_MS) {
      const chunk = await readMinutes(store, day, Math.min(day + DAY_MS, plan.warm.toMs));
      for (const { series, aggs } of bySeries(chunk)) engine.warm(series, aggs);
      counters.warmed_minutes += chunk.length;
    }
  }
  if (plan.catchupFrom <= plan.lastClosable) {
    for (const closed of await readMinutes(store, plan.catchupFrom, plan.lastClosable + MINUTE_MS)) deps.judge(closed);
    counters.caught_up_minutes = Math.round((plan.lastClosable - plan.catchupFrom) / MINUTE_MS) + 1;
  }
  deps.aggregator.markClosedThrough(Math.max(plan.lastClosable, progress ?? -Infinity));
  await deps.delivery.persist();
  return { restoredOpenAlerts: open.length, progress };
}
