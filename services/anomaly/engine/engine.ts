import type { AlertsFile } from '../config/alerts-file.ts';
import { resolveMetricProfiles, type MetricProfile } from '../detectors/defaults.ts';
import { ensemble, ensembleBytes, stepEnsemble, warmEnsemble, type EnsembleResult, type EnsembleState } from '../detectors/ensemble.ts';
import { initialFiring, stepFiring, type FiringState, type Verdict } from '../detectors/firing.ts';
import { emptyAggregate, observeMetric, type MetricObservation } from '../detectors/metric-values.ts';
import { createAlertLifecycle, type Condition } from '../lifecycle/alert-lifecycle.ts';
import { alertKeyString, METRICS, seriesKey, type AlertEvent, type AlertGroup, type AlertKey, type MetricName, type MinuteAggregate, type SeriesId } from '../types.ts';
import { coverOrder, findCover, strictlyInside, type FiringAlert } from './coverage.ts';
import { describeDeviation, describeSummary } from './describe.ts';
import { groupAlertEvents } from './grouping.ts';
import { MINUTE_MS } from '../../core/time.ts';

export { groupAlertEvents };

/** Minutes of each metric kept for AlertEvent.recent. */
const RECENT = 60;
/** A series without a single request for this long is forgotten (its memory freed). */
const EVICT_AFTER_MINUTES = 8 * 1440;

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

interface Track {
  metric: MetricName;
  state: EnsembleState;
  firing: FiringState;
  /** Last RECENT values (NaN = none), slot % RECENT. */
  recent: Float32Array;
  recentLast: number;
  /** Minutes the aggregate has been held at pending while a series inside it is pending. */
  held: number;
}

interface Series {
  id: SeriesId;
  key: string;
  first: number;
  last: number;
  lastActive: number;
  tracks: Track[];
}

interface Judged {
  series: Series;
  track: Track;
  key: AlertKey;
  keyString: string;
  condition: Condition;
  obs: MetricObservation;
  result: EnsembleResult;
  agg: MinuteAggregate;
}

/** Bytes of a Track beyond its typed arrays: objects, closures, small fields (estimate). */
const TRACK_OVERHEAD = 900;

/**
 * The learned-detector engine of the anomaly service: one per-metric ensemble
 * (detectors/ensemble.ts) per series, the k-of-n firing rule (detectors/firing.ts),
 * and the shared alert lifecycle to turn conditions into AlertEvents.
 */
export function createDetectionEngine(options: DetectionEngineOptions): DetectionEngine {
  const profiles = resolveMetricProfiles(options.metrics);
  const enabled = METRICS.filter((m) => profiles[m].settings.enabled);
  const lifecycle = createAlertLifecycle({ repeatIntervalMs: options.repeatIntervalMinutes * MINUTE_MS });
  const series = new Map<string, Series>();
  /** Firing alerts: key string → where and who covers them (metric is in the key). */
  const firing = new Map<string, FiringAlert & { metric: MetricName }>();
  const minFeatures = options.groupMinFeatures ?? 3;

  function track(metric: MetricName): Track {
    return { metric, state: ensemble.init({ profile: profiles[metric] }), firing: initialFiring, recent: new Float32Array(RECENT).fill(NaN), recentLast: -Infinity, held: 0 };
  }

  function seriesOf(id: SeriesId): Series {
    const k = seriesKey(id);
    let s = series.get(k);
    if (!s) series.set(k, (s = { id: { feature: id.feature, model: id.model }, key: k, first: Infinity, last: -Infinity, lastActive: -Infinity, tracks: enabled.map(track) }));
    return s;
  }

  function remember(t: Track, slot: number, v: number | null): void {
    const from = t.recentLast === -Infinity ? slot : Math.max(t.recentLast + 1, slot - RECENT + 1);
    for (let i = from; i < slot; i++) t.recent[i % RECENT] = NaN;
    t.recent[slot % RECENT] = v ?? NaN;
    t.recentLast = slot;
  }

  function recentOf(t: Track): (number | null)[] {
    const out: (number | null)[] = [];
    if (t.recentLast === -Infinity) return out;
    for (let i = t.recentLast - RECENT + 1; i <= t.recentLast; i++) {
      const v = t.recent[((i % RECENT) + RECENT) % RECENT];
      out.push(Number.isNaN(v) ? null : v);
    }
    return out;
  }

  /** The detector point of a metric: level metrics below their minimum volume are not learned (too noisy to be a baseline). */
  function pointOf(p: MetricProfile, slot: number, obs: MetricObservation) {
    const below = p.kind === 'level' && !p.volumeFromExpected && obs.volume < p.settings.min_volume;
    return { index: slot, value: below ? null : obs.value, successes: obs.successes, trials: obs.trials, volume: obs.volume };
  }

  function judgeSeries(s: Series, slot: number, agg: MinuteAggregate, out: Judged[]): void {
    if (slot <= s.last) return;
    if (s.first === Infinity) s.first = slot;
    s.last = slot;
    if (agg.requests > 0) s.lastActive = slot;
    for (const t of s.tracks) {
      const p = profiles[t.metric];
      const obs = observeMetric(t.metric, agg);
      const { state, result } = stepEnsemble(t.state, pointOf(p, slot, obs));
      t.state = state;
      remember(t, slot, obs.value);
      const volume = p.volumeFromExpected ? Math.max(obs.volume, result.expected ?? 0) : obs.volume;
      const judged = result.ready && obs.value !== null && slot - s.first >= p.settings.warmup_minutes && volume >= p.settings.min_volume;
      const verdict: Verdict = !judged ? 'unjudged' : result.anomalous ? 'anomalous' : 'normal';
      const f = stepFiring({ k: p.settings.fire_k, n: p.settings.fire_n, resolveAfter: p.settings.resolve_after_minutes }, t.firing, verdict);
      t.firing = f.state;
      const key: AlertKey = { rule: 'anomaly', metric: t.metric, feature: s.id.feature, model: s.id.model };
      out.push({ series: s, track: t, key, keyString: alertKeyString(key), condition: f.condition, obs, result, agg });
    }
  }

  /** Hold an aggregate at pending while a series inside it is pending on the same metric (see coverage.ts). */
  function applyHolds(judged: Judged[]): void {
    const pendingBelow = new Map<MetricName, SeriesId[]>();
    for (const j of judged) {
      if (j.condition === 'pending' && lifecycle.stateOf(j.key) !== 'firing') {
        const list = pendingBelow.get(j.track.metric) ?? [];
        list.push(j.series.id);
        pendingBelow.set(j.track.metric, list);
      }
    }
    for (const j of judged) {
      if (j.condition !== 'firing' || lifecycle.stateOf(j.key) === 'firing') {
        if (j.condition === 'ok') j.track.held = 0;
        continue;
      }
      const inside = (pendingBelow.get(j.track.metric) ?? []).some((id) => strictlyInside(id, j.series.id));
      if (inside && j.track.held < profiles[j.track.metric].settings.fire_n) {
        j.track.held++;
        j.condition = 'pending';
      }
    }
  }

  function details(j: Judged, state: 'pending' | 'firing' | 'resolved', coveredBy: string | null) {
    const p = profiles[j.track.metric];
    const r = j.result;
    const d = { metric: j.track.metric, series: j.series.id, direction: p.settings.direction, value: j.obs.value, expected: r.expected, z: r.deviation, flagged: r.flagged, kind: p.kind };
    return {
      severity: r.score >= 0.9 ? ('critical' as const) : ('warning' as const),
      direction: p.settings.direction,
      value: j.obs.value,
      expected: r.expected,
      score: r.score,
      deviation: describeDeviation(d),
      recent: recentOf(j.track),
      prompt_version: j.agg.prompt_versions?.[0] ?? null,
      detector: r.flagged.length > 0 ? r.flagged.join('+') : p.kind === 'level' ? 'baseline' : 'proportion',
      summary: describeSummary({ ...d, state }),
      covered_by: coveredBy,
    };
  }

  function firingOf(metric: MetricName): FiringAlert[] {
    const out: FiringAlert[] = [];
    for (const f of firing.values()) if (f.metric === metric) out.push(f);
    return out;
  }

  function evict(slot: number): void {
    for (const [k, s] of series) {
      if (slot - Math.max(s.lastActive, s.first) > EVICT_AFTER_MINUTES && !s.tracks.some((t) => t.firing.firing)) series.delete(k);
    }
  }

  return {
    warm(id, aggregates) {
      const s = seriesOf(id);
      for (const agg of aggregates) {
        const slot = Math.floor(agg.minute / MINUTE_MS);
        if (slot <= s.last) continue;
        // minutes missing between two rollup rows had no events
        for (let gap = s.last === -Infinity ? slot : s.last + 1; gap < slot; gap++) warmSlot(s, gap, emptyAggregate(gap * MINUTE_MS));
        warmSlot(s, slot, agg);
      }
    },

    closeMinute(minute, rows) {
      const slot = Math.floor(minute / MINUTE_MS);
      const judged: Judged[] = [];
      const seen = new Set<string>();
      for (const { series: id, agg } of rows) {
        const s = seriesOf(id);
        if (seen.has(s.key)) continue;
        seen.add(s.key);
        judgeSeries(s, slot, agg, judged);
      }
      for (const s of series.values()) if (!seen.has(s.key)) judgeSeries(s, slot, emptyAggregate(minute), judged);
      applyHolds(judged);

      const at = minute + MINUTE_MS;
      const events: AlertEvent[] = [];
      judged.sort((a, b) => coverOrder({ series: a.series.id, key: a.keyString }, { series: b.series.id, key: b.keyString }));
      for (const j of judged) {
        const before = lifecycle.stateOf(j.key);
        if (before === null && j.condition === 'ok') continue;
        let coveredBy: string | null = null;
        if (j.condition === 'firing' && before !== 'firing') coveredBy = findCover(j.series.id, firingOf(j.track.metric), minFeatures);
        else if (before === 'firing') coveredBy = firing.get(j.keyString)?.coveredBy ?? null;
        const next: 'pending' | 'firing' | 'resolved' = j.condition === 'ok' ? 'resolved' : before === 'firing' ? 'firing' : j.condition;
        const e = lifecycle.observe(j.key, j.condition, at, details(j, next, coveredBy));
        if (!e) continue;
        events.push(e);
        if (e.state === 'firing') firing.set(j.keyString, { key: j.keyString, series: j.series.id, coveredBy, metric: j.track.metric });
        else if (e.state === 'resolved') firing.delete(j.keyString);
      }
      if (slot % 60 === 0) evict(slot);
      return events;
    },

    restore(events) {
      lifecycle.restore(events);
      const latest = new Map<string, AlertEvent>();
      for (const e of events) {
        if (e.key.rule !== 'anomaly') continue;
        const k = alertKeyString(e.key);
        const prev = latest.get(k);
        if (!prev || e.at >= prev.at) latest.set(k, e);
      }
      for (const [k, e] of latest) {
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

    stats() {
      let bytes = 0;
      let n = 0;
      for (const s of series.values()) {
        for (const t of s.tracks) {
          bytes += ensembleBytes({ profile: profiles[t.metric] }) + t.recent.byteLength + TRACK_OVERHEAD;
          n++;
        }
      }
      const perSeries = enabled.reduce((sum, m) => sum + ensembleBytes({ profile: profiles[m] }) + RECENT * 4 + TRACK_OVERHEAD, 0);
      return { series: series.size, series_metrics: n, open_alerts: lifecycle.open().length, approx_bytes: bytes, bytes_per_series: perSeries };
    },

    groupAlertEvents: (events, mf) => groupAlertEvents(events, mf ?? minFeatures),
  };

  function warmSlot(s: Series, slot: number, agg: MinuteAggregate): void {
    if (s.first === Infinity) s.first = slot;
    s.last = slot;
    if (agg.requests > 0) s.lastActive = slot;
    for (const t of s.tracks) {
      const obs = observeMetric(t.metric, agg);
      t.state = warmEnsemble(t.state, pointOf(profiles[t.metric], slot, obs));
      remember(t, slot, obs.value);
    }
  }
}
