import type { Condition } from '../lifecycle/alert-lifecycle.ts';

/**
 * The k-of-n firing rule and the clean period, as a pure step function.
 *
 * Why k-of-n: a single unusual minute is common across thousands of series × metrics;
 * requiring `k` anomalous minutes among the last `n` judged ones cuts false alarms by
 * orders of magnitude while a real incident (anomalous every minute) fires after k
 * minutes. Why a clean period: an incident that flickers (3 bad minutes, 1 good) must
 * not resolve and re-fire; the alert resolves only after `resolveAfter` consecutive
 * minutes without an anomalous verdict.
 *
 * Verdicts: 'anomalous' / 'normal' (judged), 'unjudged' (no data, too little volume,
 * warm-up). Unjudged minutes do not enter the k-of-n window and never fire, but they do
 * count towards the clean period: no data is no evidence of a problem, so a metric that
 * falls silent (a series without traffic cannot have a latency) resolves instead of
 * firing forever. A traffic drop itself stays judged: `requests` is judged against
 * the expected volume, not the observed one.
 *
 * Conditions for the alert lifecycle: 'firing' once k of the last n are anomalous (and
 * until the clean period ends), 'pending' while some but fewer than k are, else 'ok'.
 */
export interface FiringParams {
  k: number;
  n: number;
  resolveAfter: number;
}

export type Verdict = 'anomalous' | 'normal' | 'unjudged';

export interface FiringState {
  /** Last ≤ n judged verdicts, oldest first (true = anomalous). */
  readonly window: readonly boolean[];
  readonly firing: boolean;
  /** Consecutive minutes without an anomalous verdict while firing. */
  readonly clean: number;
}

export const initialFiring: FiringState = Object.freeze({ window: Object.freeze([]) as readonly boolean[], firing: false, clean: 0 });

/** `atOnce`: this anomalous verdict alone fires (a point far beyond the threshold), whatever the count. */
export function stepFiring(p: FiringParams, s: FiringState, verdict: Verdict, atOnce = false): { state: FiringState; condition: Condition } {
  const window = verdict === 'unjudged' ? s.window : [...s.window.slice(Math.max(0, s.window.length - p.n + 1)), verdict === 'anomalous'];
  if (s.firing) {
    const clean = verdict === 'anomalous' ? 0 : s.clean + 1;
    if (clean >= p.resolveAfter) return { state: { window: [], firing: false, clean: 0 }, condition: 'ok' };
    return { state: { window, firing: true, clean }, condition: 'firing' };
  }
  let count = 0;
  for (const a of window) if (a) count++;
  if (count >= p.k || (atOnce && verdict === 'anomalous')) return { state: { window, firing: true, clean: 0 }, condition: 'firing' };
  return { state: { window, firing: false, clean: 0 }, condition: count > 0 ? 'pending' : 'ok' };
}
