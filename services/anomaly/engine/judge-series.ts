import type { MetricProfile } from '../detectors/defaults.ts';
import { warmEnsemble, type EnsembleResult } from '../detectors/ensemble.ts';
import { observeMetric, type MetricObservation } from '../detectors/metric-values.ts';
import type { AlertDetails, Condition } from '../lifecycle/alert-lifecycle.ts';
import { alertKeyString, type AlertKey, type AlertState, type MetricName, type MinuteAggregate, type SeriesId } from '../types.ts';
import { strictlyInside } from './coverage.ts';
import { describeDeviation, describeSummary } from './describe.ts';
import { judgeMetric } from './judge-metric.ts';
import { recentOf, remember, type Profiles, type Series, type Track } from './series-state.ts';

/**
 * One minute of one series through its detectors: learning only (warm-up from history),
 * or learning and judging (a closed minute), which yields a condition per metric; then
 * the hold of an aggregate while a series inside it is still pending, and the details an
 * alert event carries. Pure over the series' state: no I/O, no clock.
 */

export interface Judged {
  series: Series;
  track: Track;
  key: AlertKey;
  keyString: string;
  condition: Condition;
  obs: MetricObservation;
  result: EnsembleResult;
  agg: MinuteAggregate;
}

/** The detector point of a metric: level metrics below their minimum volume are not learned (too noisy to be a baseline). */
function pointOf(p: MetricProfile, slot: number, obs: MetricObservation) {
  const below = p.kind === 'level' && !p.volumeFromExpected && obs.volume < p.settings.min_volume;
  return { index: slot, value: below ? null : obs.value, successes: obs.successes, trials: obs.trials, volume: obs.volume };
}

/** Learns minute `slot` of the series from history; judges nothing. */
export function warmSlot(profiles: Profiles, s: Series, slot: number, agg: MinuteAggregate): void {
  if (s.first === Infinity) s.first = slot;
  s.last = slot;
  if (agg.requests > 0) s.lastActive = slot;
  for (const t of s.tracks) {
    const obs = observeMetric(t.metric, agg);
    t.state = warmEnsemble(t.state, pointOf(profiles[t.metric], slot, obs));
    remember(t, slot, obs.value);
  }
}

/** Learns and judges minute `slot` of the series (ignored if not after its last minute); one Judged per metric goes to `out`. */
export function judgeSeries(profiles: Profiles, s: Series, slot: number, agg: MinuteAggregate, out: Judged[]): void {
  if (slot <= s.last) return;
  if (s.first === Infinity) s.first = slot;
  s.last = slot;
  if (agg.requests > 0) s.lastActive = slot;
  for (const t of s.tracks) {
    const p = profiles[t.metric];
    const obs = observeMetric(t.metric, agg);
    const { result, condition } = judgeMetric(p, t, pointOf(p, slot, obs), slot - s.first, obs.volume);
    remember(t, slot, obs.value);
    const key: AlertKey = { rule: 'anomaly', metric: t.metric, feature: s.id.feature, model: s.id.model };
    out.push({ series: s, track: t, key, keyString: alertKeyString(key), condition, obs, result, agg });
  }
}

/**
 * Holds an aggregate at pending while a series inside it is pending on the same metric
 * (see coverage.ts), for at most fire_n minutes. `stateOf` is the alert state before
 * this minute.
 */
export function applyHolds(profiles: Profiles, judged: Judged[], stateOf: (key: AlertKey) => AlertState | null): void {
  const pendingBelow = new Map<MetricName, SeriesId[]>();
  for (const j of judged) {
    if (j.condition === 'pending' && stateOf(j.key) !== 'firing') {
      const list = pendingBelow.get(j.track.metric) ?? [];
      list.push(j.series.id);
      pendingBelow.set(j.track.metric, list);
    }
  }
  for (const j of judged) {
    if (j.condition !== 'firing' || stateOf(j.key) === 'firing') {
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

/** What an alert event of this judged metric says: value, expectation, detectors that flagged it, texts. */
export function alertDetails(profiles: Profiles, j: Judged, state: 'pending' | 'firing' | 'resolved', coveredBy: string | null): AlertDetails {
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
