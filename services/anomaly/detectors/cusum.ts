import type { Direction } from '../types.ts';
import { clamp } from './math.ts';
import { NOT_READY, scoreOf, type Detector, type DetectorResult } from './types.ts';

/**
 * Two-sided tabular CUSUM for slow drift:
 *     S⁺ ← max(0, S⁺ + z − k),   S⁻ ← max(0, S⁻ − z − k),   alarm when S ≥ h.
 *
 * Why: a creep of +2 %/hour never makes one minute unusual and a rolling baseline
 * absorbs it; summing the small excesses over a fixed reference does not. Inputs are
 * standardised by a known mean/sd (as the ensemble does: the hourly difference to last
 * week, already in standard errors) or by a mean/sd learned over the first `warmup`
 * points and then frozen (classic CUSUM against an in-control level).
 *
 * Two deliberate departures from the textbook: the sums are capped at `cap`·h, so that
 * after a long drift the alarm clears after a few normal points instead of hours; and z
 * is clipped to ±`clip` so a single outlier cannot trip it. The sums keep running after
 * an alarm (no reset) so the verdict stays anomalous while the drift lasts, which is what
 * the k-of-n firing rule and the clean period expect.
 */
export interface CusumParams {
  direction: Direction;
  /** Allowance in sigmas (default 0.5: tuned to shifts of ~1 σ). */
  k?: number;
  /** Decision interval in sigmas. */
  h: number;
  known?: { mean: number; sd: number };
  warmup?: number;
  cap?: number;
  clip?: number;
}

export interface CusumState {
  readonly p: Required<Omit<CusumParams, 'known'>> & { known: CusumParams['known'] };
  hi: number;
  lo: number;
  /** Learning the in-control level (unused with `known`). */
  n: number;
  sum: number;
  sumSq: number;
}

function stats(s: CusumState): { mean: number; sd: number } | null {
  if (s.p.known) return s.p.known;
  if (s.n < s.p.warmup) return null;
  const mean = s.sum / s.n;
  const sd = Math.sqrt(Math.max(0, s.sumSq / s.n - mean * mean));
  return sd > 0 ? { mean, sd } : null;
}

function advance(s: CusumState, x: number): { hi: number; lo: number } | null {
  const st = stats(s);
  if (!st) return null;
  const z = clamp((x - st.mean) / st.sd, -s.p.clip, s.p.clip);
  const max = s.p.cap * s.p.h;
  return {
    hi: s.p.direction !== 'down' ? Math.min(max, Math.max(0, s.hi + z - s.p.k)) : 0,
    lo: s.p.direction !== 'up' ? Math.min(max, Math.max(0, s.lo - z - s.p.k)) : 0,
  };
}

function resultOf(s: CusumState, hi: number, lo: number): DetectorResult {
  const worst = Math.max(hi, lo);
  return { score: scoreOf(worst, s.p.h), anomalous: worst >= s.p.h, expected: stats(s)?.mean ?? null, deviation: hi >= lo ? hi : -lo, ready: true };
}

/** The verdict of the sums as they stand, without a new point (between the ensemble's hourly updates). */
export function cusumStatus(s: CusumState): DetectorResult {
  return stats(s) ? resultOf(s, s.hi, s.lo) : NOT_READY;
}

export const cusum: Detector<CusumState, CusumParams> = {
  name: 'cusum',

  init(p) {
    return { p: { direction: p.direction, k: p.k ?? 0.5, h: p.h, known: p.known, warmup: p.warmup ?? 60, cap: p.cap ?? 2, clip: p.clip ?? 4 }, hi: 0, lo: 0, n: 0, sum: 0, sumSq: 0 };
  },

  judge(s, point) {
    if (point.value === null) return NOT_READY;
    const next = advance(s, point.value);
    return next ? resultOf(s, next.hi, next.lo) : NOT_READY;
  },

  /** Updates in place; sums run on every point (evidence), the in-control level learns until warm. */
  learn(s, point) {
    const x = point.value;
    if (x === null) return s;
    const next = advance(s, x);
    if (next) {
      s.hi = next.hi;
      s.lo = next.lo;
    } else {
      s.n++;
      s.sum += x;
      s.sumSq += x * x;
    }
    return s;
  },
};
