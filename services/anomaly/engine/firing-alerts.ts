import { alertKeyString, METRICS, type AlertEvent, type MetricName, type SeriesId } from '../types.ts';
import type { FiringAlert } from './coverage.ts';
import type { Series } from './series-state.ts';

/**
 * The engine's firing anomaly alerts: where each one is and which alert covers it
 * (coverage.ts decides the cover of a newly firing alert from these); and how they come
 * back from the stored events after a restart.
 */
export interface FiringAlerts {
  /** Firing alerts on this metric. */
  ofMetric(metric: MetricName): FiringAlert[];
  /** The cover recorded when the alert started firing (null: it notified). */
  coveredBy(key: string): string | null;
  /** Follows an event the lifecycle emitted for the judged key: firing adds it, resolved removes it. */
  onEvent(e: AlertEvent, key: string, series: SeriesId, metric: MetricName, coveredBy: string | null): void;
  /**
   * Re-opens firing alerts from stored events (latest per anomaly key wins): they are
   * firing again here and on their series' track, so nothing re-alerts.
   */
  restore(events: readonly AlertEvent[], seriesOf: (id: SeriesId) => Series): void;
}

export function createFiringAlerts(): FiringAlerts {
  /** Key string → where and who covers them (metric is in the key). */
  const firing = new Map<string, FiringAlert & { metric: MetricName }>();

  return {
    ofMetric(metric) {
      const out: FiringAlert[] = [];
      for (const f of firing.values()) if (f.metric === metric) out.push(f);
      return out;
    },
    coveredBy: (key) => firing.get(key)?.coveredBy ?? null,
    onEvent(e, key, series, metric, coveredBy) {
      if (e.state === 'firing') firing.set(key, { key, series, coveredBy, metric });
      else if (e.state === 'resolved') firing.delete(key);
    },
    restore(events, seriesOf) {
      for (const [k, e] of latestAnomalyEvents(events)) {
        if (e.state !== 'firing' || !(METRICS as readonly string[]).includes(e.key.metric)) {
          firing.delete(k);
          continue;
        }
        const metric = e.key.metric as MetricName;
        const s = seriesOf({ feature: e.key.feature, model: e.key.model });
        const t = s.tracks.find((x) => x.metric === metric);
        if (t) t.firing = { window: [], firing: true, clean: 0 };
        firing.set(k, { key: k, series: s.id, coveredBy: e.covered_by ?? null, metric });
      }
    },
  };
}

/** The latest event of each anomaly alert key (later `at` wins; on a tie, the later one in the list). */
function latestAnomalyEvents(events: readonly AlertEvent[]): Map<string, AlertEvent> {
  const latest = new Map<string, AlertEvent>();
  for (const e of events) {
    if (e.key.rule !== 'anomaly') continue;
    const k = alertKeyString(e.key);
    const prev = latest.get(k);
    if (!prev || e.at >= prev.at) latest.set(k, e);
  }
  return latest;
}
