import type { AlertsFile } from '../config/alerts-file.ts';
import { resolveMetricProfiles } from '../detectors/defaults.ts';
import { emptyAggregate } from '../detectors/metric-values.ts';
import { createAlertLifecycle } from '../lifecycle/alert-lifecycle.ts';
import { METRICS, type AlertEvent, type AlertGroup, type MinuteAggregate, type SeriesId } from '../types.ts';
import { coverOrder, findCover } from './coverage.ts';
import { createFiringAlerts } from './firing-alerts.ts';
import { groupAlertEvents } from './grouping.ts';
import { alertDetails, applyHolds, judgeSeries, warmSlot, type Judged } from './judge-series.ts';
import { createSeriesTable } from './series-state.ts';
import { MINUTE_MS } from '../../core/time.ts';

export interface DetectionEngineOptions {
  /** ALERTS_FILE `metrics` overrides of the per-metric defaults (detectors/defaults.ts). */
  metrics?: AlertsFile['metrics'];
  /** Re-send a firing alert this often (0: never). */
  repeatIntervalMinutes: number;
  /** Default `minFeatures` of the engine's `groupAlertEvents` (alerts file group_min_features, default 3). */
  groupMinFeatures?: number;
}

export interface EngineStats {
  series: number;
  /** series × enabled metrics with detector state. */
  series_metrics: number;
  open_alerts: number;
  /** Approximate memory of all detector state (typed arrays exactly, objects estimated). */
  approx_bytes: number;
  /** Same, per series with every enabled metric (a week of history for the seasonal ones). */
  bytes_per_series: number;
}

export interface DetectionEngine {
  /** Start-up history from the rollups, minutes ascending; learns only, emits nothing. Gaps are minutes without events. */
  warm(series: SeriesId, aggregates: MinuteAggregate[]): void;
  /**
   * Judge one closed minute (epoch ms of its start) for every series in `rows` and, as a
   * minute without events, for every known series missing from them. Returns the alert
   * state changes (with `covered_by` set), in a stable order.
   */
  closeMinute(minute: number, rows: { series: SeriesId; agg: MinuteAggregate }[]): AlertEvent[];
  /** Re-open alerts from stored events (the alerts table) after a restart, so nothing re-alerts. */
  restore(events: readonly AlertEvent[]): void;
  stats(): EngineStats;
  /** groupAlertEvents with the engine's default minFeatures. */
  groupAlertEvents(events: readonly AlertEvent[], minFeatures?: number): AlertGroup[];
}

/**
 * The learned-detector engine of the anomaly service: one per-metric ensemble
 * (detectors/ensemble.ts) per series (series-state.ts), the k-of-n firing rule
 * (detectors/firing.ts) applied per minute in judge-series.ts, and the shared alert
 * lifecycle to turn conditions into AlertEvents, with the cover of each newly firing
 * alert (coverage.ts, firing-alerts.ts).
 */
export function createDetectionEngine(options: DetectionEngineOptions): DetectionEngine {
  const profiles = resolveMetricProfiles(options.metrics);
  const enabled = METRICS.filter((m) => profiles[m].settings.enabled);
  const lifecycle = createAlertLifecycle({ repeatIntervalMs: options.repeatIntervalMinutes * MINUTE_MS });
  const series = createSeriesTable(profiles, enabled);
  const firing = createFiringAlerts();
  const minFeatures = options.groupMinFeatures ?? 3;

  return {
    warm(id, aggregates) {
      const s = series.of(id);
      for (const agg of aggregates) {
        const slot = Math.floor(agg.minute / MINUTE_MS);
        if (slot <= s.last) continue;
        // minutes missing between two rollup rows had no events
        for (let gap = s.last === -Infinity ? slot : s.last + 1; gap < slot; gap++) warmSlot(profiles, s, gap, emptyAggregate(gap * MINUTE_MS));
        warmSlot(profiles, s, slot, agg);
      }
    },

    closeMinute(minute, rows) {
      const slot = Math.floor(minute / MINUTE_MS);
      const judged: Judged[] = [];
      const seen = new Set<string>();
      for (const { series: id, agg } of rows) {
        const s = series.of(id);
        if (seen.has(s.key)) continue;
        seen.add(s.key);
        judgeSeries(profiles, s, slot, agg, judged);
      }
      for (const s of series.values()) if (!seen.has(s.key)) judgeSeries(profiles, s, slot, emptyAggregate(minute), judged);
      applyHolds(profiles, judged, (key) => lifecycle.stateOf(key));

      const at = minute + MINUTE_MS;
      const events: AlertEvent[] = [];
      judged.sort((a, b) => coverOrder({ series: a.series.id, key: a.keyString }, { series: b.series.id, key: b.keyString }));
      for (const j of judged) {
        const before = lifecycle.stateOf(j.key);
        if (before === null && j.condition === 'ok') continue;
        let coveredBy: string | null = null;
        if (j.condition === 'firing' && before !== 'firing') coveredBy = findCover(j.series.id, firing.ofMetric(j.track.metric), minFeatures);
        else if (before === 'firing') coveredBy = firing.coveredBy(j.keyString);
        const next: 'pending' | 'firing' | 'resolved' = j.condition === 'ok' ? 'resolved' : before === 'firing' ? 'firing' : j.condition;
        const e = lifecycle.observe(j.key, j.condition, at, alertDetails(profiles, j, next, coveredBy));
        if (!e) continue;
        events.push(e);
        firing.onEvent(e, j.keyString, j.series.id, j.track.metric, coveredBy);
      }
      if (slot % 60 === 0) series.evict(slot);
      return events;
    },

    restore(events) {
      lifecycle.restore(events);
      firing.restore(events, (id) => series.of(id));
    },

    stats() {
      const m = series.memory();
      return { series: series.size, series_metrics: m.series_metrics, open_alerts: lifecycle.open().length, approx_bytes: m.approx_bytes, bytes_per_series: m.bytes_per_series };
    },

    groupAlertEvents: (events, mf) => groupAlertEvents(events, mf ?? minFeatures),
  };
}
