import type { MetricProfile } from '../detectors/defaults.ts';
import { ensemble, ensembleBytes, type EnsembleState } from '../detectors/ensemble.ts';
import { initialFiring, type FiringState } from '../detectors/firing.ts';
import { seriesKey, type MetricName, type SeriesId } from '../types.ts';

/**
 * What the detection engine remembers per series: one track per enabled metric (its
 * ensemble state, its k-of-n firing state and its last hour of values), when the series
 * was first, last and last actively seen; and when a series is forgotten.
 */

/** Minutes of each metric kept for AlertEvent.recent. */
export const RECENT = 60;
/** A series without a single request for this long is forgotten (its memory freed). */
const EVICT_AFTER_MINUTES = 8 * 1440;
/** Bytes of a Track beyond its typed arrays: objects, closures, small fields (estimate). */
const TRACK_OVERHEAD = 900;

export type Profiles = Record<MetricName, MetricProfile>;

export interface Track {
  metric: MetricName;
  state: EnsembleState;
  firing: FiringState;
  /** Last RECENT values (NaN = none), slot % RECENT. */
  recent: Float32Array;
  recentLast: number;
  /** Minutes the aggregate has been held at pending while a series inside it is pending. */
  held: number;
}

export interface Series {
  id: SeriesId;
  key: string;
  first: number;
  last: number;
  lastActive: number;
  tracks: Track[];
}

/** Records the value of minute `slot` in the track's ring of recent values (minutes skipped since become "none"). */
export function remember(t: Track, slot: number, v: number | null): void {
  const from = t.recentLast === -Infinity ? slot : Math.max(t.recentLast + 1, slot - RECENT + 1);
  for (let i = from; i < slot; i++) t.recent[i % RECENT] = NaN;
  t.recent[slot % RECENT] = v ?? NaN;
  t.recentLast = slot;
}

/** The last RECENT values up to the latest remembered minute, oldest first (null = none). */
export function recentOf(t: Track): (number | null)[] {
  const out: (number | null)[] = [];
  if (t.recentLast === -Infinity) return out;
  for (let i = t.recentLast - RECENT + 1; i <= t.recentLast; i++) {
    const v = t.recent[((i % RECENT) + RECENT) % RECENT];
    out.push(Number.isNaN(v) ? null : v);
  }
  return out;
}

export interface SeriesTable {
  /** The series with this id, created (a fresh track per enabled metric) on first sight. */
  of(id: SeriesId): Series;
  values(): IterableIterator<Series>;
  readonly size: number;
  /** Forgets series without a request for EVICT_AFTER_MINUTES, unless one of their metrics is firing. */
  evict(slot: number): void;
  /** Approximate memory of all detector state, and of one series with every enabled metric. */
  memory(): { series_metrics: number; approx_bytes: number; bytes_per_series: number };
}

export function createSeriesTable(profiles: Profiles, enabled: readonly MetricName[]): SeriesTable {
  const series = new Map<string, Series>();

  function track(metric: MetricName): Track {
    return { metric, state: ensemble.init({ profile: profiles[metric] }), firing: initialFiring, recent: new Float32Array(RECENT).fill(NaN), recentLast: -Infinity, held: 0 };
  }

  return {
    of(id) {
      const k = seriesKey(id);
      let s = series.get(k);
      if (!s) series.set(k, (s = { id: { feature: id.feature, model: id.model }, key: k, first: Infinity, last: -Infinity, lastActive: -Infinity, tracks: enabled.map(track) }));
      return s;
    },
    values: () => series.values(),
    get size() {
      return series.size;
    },
    evict(slot) {
      for (const [k, s] of series) {
        if (slot - Math.max(s.lastActive, s.first) > EVICT_AFTER_MINUTES && !s.tracks.some((t) => t.firing.firing)) series.delete(k);
      }
    },
    memory() {
      let bytes = 0;
      let n = 0;
      for (const s of series.values()) {
        for (const t of s.tracks) {
          bytes += ensembleBytes({ profile: profiles[t.metric] }) + t.recent.byteLength + TRACK_OVERHEAD;
          n++;
        }
      }
      const perSeries = enabled.reduce((sum, m) => sum + ensembleBytes({ profile: profiles[m] }) + RECENT * 4 + TRACK_OVERHEAD, 0);
      return { series_metrics: n, approx_bytes: bytes, bytes_per_series: perSeries };
    },
  };
}
