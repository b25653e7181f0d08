import type { AlertsFile, MetricSettings } from '../config/alerts-file.ts';
import { METRICS, type Direction, type MetricName } from '../types.ts';

/**
 * Built-in per-metric defaults of the learned detectors, chosen so that an empty
 * `metrics` section works: measured on the labelled scenario suite
 * (test/anomaly/scenarios.test.ts: 8 warm + 8 judged simulated days, 39 series × 8 metrics,
 * four seeds) to detect
 * every injected incident with no false alarm on the clean days. ALERTS_FILE `metrics`
 * settings override the knobs field by field (`resolveMetricProfiles`).
 *
 * The knobs (`settings`) are the ones the alerts file exposes; the rest is the shape of
 * the metric: which detectors make up its ensemble, and how its noise behaves.
 */
export interface MetricProfile {
  metric: MetricName | 'generic';
  settings: Required<MetricSettings>;
  /** 'level': robust seasonal baseline (+ EWMA, + CUSUM); 'proportion': binomial test on successes / trials (+ EWMA). */
  kind: 'level' | 'proportion';
  /** Keep a week of per-minute history and correct by the daily / weekly shape (costs ~40 KB per series). */
  seasonal: boolean;
  seasonality: 'multiplicative' | 'additive';
  /** Scale floor √expected (Poisson counts). */
  countFloor: boolean;
  /** Scale floor as a share of the expectation. */
  relativeFloor: number;
  /** Scale floor c·expected/√volume (see BaselineParams.volumeFloor); 0: off. */
  volumeFloor: number;
  /**
   * A single anomalous point at least this many thresholds out fires at once, without
   * waiting for k of n (a short, unmistakable spike); 0: off, only k of n fires.
   */
  fireAtOnce: number;
  /** Scale floor from the tracked tail of residuals (see BaselineParams.tailFloor); 0: off. */
  tailFloor: number;
  /** Run the CUSUM creep detector against last week's same time (seasonal level metrics only). */
  cusum: boolean;
  /** Dead zone of the creep detector: relative drifts below this are not accumulated (organic week-over-week change). */
  creepMinRelative: number;
  /** `min_volume` gates on max(observed, expected) volume instead of the observed one: a drop to zero must stay judged. */
  volumeFromExpected: boolean;
  proportion?: { dispersion: 'binomial' | 'estimated'; minRate: number; minAbsEffect: number; minRelEffect: number; value: 'rate' | 'count' };
}

const settings = (direction: Direction, min_volume: number, warmup_minutes: number, threshold: number, fire_k = 3, fire_n = 5, resolve_after_minutes = 10): Required<MetricSettings> => ({
  enabled: true,
  direction,
  min_volume,
  warmup_minutes,
  fire_k,
  fire_n,
  resolve_after_minutes,
  threshold,
});

const level = (metric: MetricName, s: Required<MetricSettings>, extra: Partial<MetricProfile> = {}): MetricProfile => ({
  metric,
  settings: s,
  kind: 'level',
  seasonal: false,
  seasonality: 'multiplicative',
  countFloor: false,
  relativeFloor: 0.02,
  volumeFloor: 0,
  tailFloor: 1,
  fireAtOnce: 0,
  cusum: false,
  creepMinRelative: 0.01,
  volumeFromExpected: false,
  ...extra,
});

const rate = (metric: MetricName, s: Required<MetricSettings>, proportion: NonNullable<MetricProfile['proportion']>): MetricProfile => ({
  ...level(metric, s),
  kind: 'proportion',
  proportion,
});

const DAY = 1440;

export const METRIC_DEFAULTS: Readonly<Record<MetricName, MetricProfile>> = Object.freeze({
  requests: level('requests', settings('both', 5, DAY, 5), { seasonal: true, countFloor: true, volumeFromExpected: true }),
  cost_usd: level('cost_usd', settings('up', 3, DAY, 5), { seasonal: true, cusum: true, relativeFloor: 0.03, volumeFloor: 1 }),
  tokens_per_request: level('tokens_per_request', settings('up', 5, 120, 5), { relativeFloor: 0.03, volumeFloor: 0.5 }),
  latency_p95_ms: level('latency_p95_ms', settings('up', 10, 360, 5), { seasonal: true, relativeFloor: 0.05, volumeFloor: 1 }),
  error_rate: rate('error_rate', settings('up', 10, 120, 5), { dispersion: 'binomial', minRate: 0.002, minAbsEffect: 0.02, minRelEffect: 1, value: 'rate' }),
  eval_score: rate('eval_score', settings('down', 3, 120, 5, 3, 5, 15), { dispersion: 'estimated', minRate: 0.002, minAbsEffect: 0.05, minRelEffect: 0, value: 'rate' }),
  negative_feedback_rate: rate('negative_feedback_rate', settings('up', 3, 120, 5, 3, 5, 15), { dispersion: 'binomial', minRate: 0.01, minAbsEffect: 0.05, minRelEffect: 0.5, value: 'rate' }),
  unpriced_events: rate('unpriced_events', settings('up', 1, 120, 5, 2, 3, 10), { dispersion: 'binomial', minRate: 0.002, minAbsEffect: 0.01, minRelEffect: 1, value: 'count' }),
});

/**
 * Profile of an arbitrary series (`npm run detect`, the KPI evaluation): the level
 * ensemble without volume gates, tuned on the shape of real operational series
 * (scripts/detector-eval, delayed point-adjusted F1 on labelled KPI series, checked on a
 * halves split) rather than on the simulator:
 *   - no week-over-week creep CUSUM: real series move week over week by far more than
 *     half-hour standard errors (it kept most points of the KPI series firing),
 *   - the tail floor (heavy-tailed, spiky and mostly-zero series) at 0.7 × the tracked
 *     99th percentile of |residuals| / 2.576,
 *   - the service's 3 of 5, plus: one point 2.5 thresholds out fires at once (real
 *     incidents are often 1–2 points long), and the alert resolves after 3 clean points
 *     (a 10-point clean period was 10 false points after every short incident).
 * The service's own metrics keep fireAtOnce 0: with it, a provider outage fires on each
 * series before the roll-up groups them (the scenario suite's grouping test fails).
 */
export function genericProfile(direction: Direction): MetricProfile {
  return level('cost_usd', settings(direction, 0, 0, 5, 3, 5, 3), { metric: 'generic', seasonal: true, cusum: false, relativeFloor: 0.02, tailFloor: 0.7, fireAtOnce: 2.5 });
}

/** Defaults overridden by the ALERTS_FILE `metrics` section, field by field. */
export function resolveMetricProfiles(overrides: AlertsFile['metrics'] | undefined): Record<MetricName, MetricProfile> {
  const out = {} as Record<MetricName, MetricProfile>;
  for (const m of METRICS) {
    const base = METRIC_DEFAULTS[m];
    const o = overrides?.[m] ?? {};
    const merged: Required<MetricSettings> = { ...base.settings };
    for (const [k, v] of Object.entries(o) as [keyof MetricSettings, never][]) if (v !== undefined) merged[k] = v;
    if (merged.fire_k > merged.fire_n) merged.fire_k = merged.fire_n;
    out[m] = { ...base, settings: merged };
  }
  return out;
}
