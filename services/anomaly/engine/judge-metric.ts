import type { MetricProfile } from '../detectors/defaults.ts';
import { stepEnsemble, type EnsembleResult, type EnsembleState } from '../detectors/ensemble.ts';
import { stepFiring, type FiringState, type Verdict } from '../detectors/firing.ts';
import { scoreOf, type DetectorPoint } from '../detectors/types.ts';
import type { Condition } from '../lifecycle/alert-lifecycle.ts';

/**
 * One slot of one metric through its ensemble and its k-of-n firing rule: the single
 * judging function of the service (engine/judge-series.ts) and of `npm run detect`, so
 * the CLI's `would_alert` column is exactly what the service would alert on.
 *
 * The point is judged (a verdict enters the k-of-n window) when the ensemble is ready,
 * there is a value, the metric's warm-up since the series' first slot is over and the
 * volume reaches `min_volume` (for `volumeFromExpected` metrics the larger of observed and
 * expected volume, so a drop to zero stays judged).
 */
export interface MetricTrack {
  state: EnsembleState;
  firing: FiringState;
}

export interface MetricJudgement {
  result: EnsembleResult;
  verdict: Verdict;
  condition: Condition;
}

/** Updates `track` in place (state and firing) and returns the judgement of the slot. */
export function judgeMetric(p: MetricProfile, track: MetricTrack, point: DetectorPoint, slotsSinceFirst: number, observedVolume: number): MetricJudgement {
  const { state, result } = stepEnsemble(track.state, point);
  track.state = state;
  const volume = p.volumeFromExpected ? Math.max(observedVolume, result.expected ?? 0) : observedVolume;
  const judged = result.ready && point.value !== null && slotsSinceFirst >= p.settings.warmup_minutes && volume >= p.settings.min_volume;
  const verdict: Verdict = !judged ? 'unjudged' : result.anomalous ? 'anomalous' : 'normal';
  const atOnce = p.fireAtOnce > 0 && result.score >= scoreOf(p.fireAtOnce, 1);
  const f = stepFiring({ k: p.settings.fire_k, n: p.settings.fire_n, resolveAfter: p.settings.resolve_after_minutes }, track.firing, verdict, atOnce);
  track.firing = f.state;
  return { result, verdict, condition: f.condition };
}
