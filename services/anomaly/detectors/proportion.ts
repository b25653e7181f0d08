import { regularizedBeta } from '../../core/statistics.ts';
import type { Direction } from '../types.ts';
import { zOfUpperTail } from './math.ts';
import { harmful, NOT_READY, scoreOf, type Detector } from './types.ts';

/**
 * Proportion test for rates (error rate, negative-feedback share, unpriced share; a mean
 * of 0..1 scores as fractional successes): is this slot's x successes out of n trials
 * unusual for the baseline rate p₀?
 *
 * Why not a z on the rate itself: a rate's noise depends on its volume (2 errors out of 20
 * at night vs 200 out of 2 000 at noon); the binomial test uses exactly that. With whole
 * successes and `dispersion: 'binomial'` the tail is exact, P(X ≥ x) = I_{p₀}(x, n − x + 1)
 * (regularised incomplete beta), which matters for the small counts of a 0.5 % error rate.
 * Real data is often over-dispersed (errors come in bursts), so the detector also learns
 * φ = E[(x − n p₀)² / (n p₀ (1 − p₀))] and divides z by √φ when φ > 1 (capped at 4).
 * In binomial mode φ is learned only from slots with n·p₀ ≥ 5: on sparse counts the
 * statistic is mostly noise (one error where 0.1 was expected alone gives 8) and would
 * blunt the exact test exactly where it matters. With
 * `dispersion: 'estimated'` (means of scores, whose per-item variance is far below
 * p₀(1 − p₀)) it uses the normal approximation with the learned φ, which may be < 1.
 *
 * p₀ is a trials-weighted exponentially decaying average of accepted slots (half-life
 * `halfLife` slots), floored at `minRate` so a series that never failed does not alarm on
 * its first error. A statistically significant but tiny change is not an incident, so the
 * rate must also differ from p₀ by at least max(`minAbsEffect`, `minRelEffect`·p₀).
 *
 * Low-volume series: 8 % errors on 25 requests a minute is 2 errors, never significant
 * in one minute. So the test also pools the last `pool` slots (this one included) and
 * takes the larger z — but only when this slot itself shows the effect, so one bad
 * minute does not make the following normal minutes anomalous through the pool (which
 * would defeat the k-of-n rule).
 *
 * deviation = the z of the tail probability (signed, + = rate above baseline).
 */
export interface ProportionParams {
  direction: Direction;
  /** z threshold. */
  threshold: number;
  halfLife?: number;
  minRate?: number;
  maxRate?: number;
  minAbsEffect?: number;
  minRelEffect?: number;
  dispersion?: 'binomial' | 'estimated';
  /** Trials needed in the baseline before judging (default 200). */
  warmupTrials?: number;
  /** Slots pooled for the second test (default 5; 1: off). */
  pool?: number;
}

export interface ProportionState {
  readonly p: Required<ProportionParams>;
  /** Per-slot decay factor 2^(−1/halfLife). */
  readonly decay: number;
  /** Decayed sums of accepted successes and trials. */
  s: number;
  n: number;
  phi: number;
  phiN: number;
  last: number;
  /** Successes and trials of the last `pool` − 1 slots (ring by slot), for the pooled test. */
  recentX: Float64Array;
  recentN: Float64Array;
}

const MAX_PHI = 4;
/** Binomial mode learns φ only from slots expecting at least this many successes. */
const PHI_MIN_EXPECTED = 5;

function baselineRate(st: ProportionState): number {
  const raw = st.n > 0 ? st.s / st.n : st.p.minRate;
  return Math.min(st.p.maxRate, Math.max(st.p.minRate, raw));
}

/**
 * z of the slot against p0 (+ when the rate is above). Whole successes use the exact
 * binomial mid-p tail, P(X > x) + ½·P(X = x), so that the most likely outcome of a
 * low-rate series (0 errors) is z ≈ 0, not an extreme on either side.
 */
function zOf(st: ProportionState, x: number, n: number, p0: number): number {
  const phi = st.p.dispersion === 'binomial' ? Math.min(MAX_PHI, Math.max(1, st.phi)) : Math.max(0.02, st.phi);
  if (st.p.dispersion === 'binomial' && Number.isInteger(x) && x <= n) {
    const atLeast = (k: number): number => (k <= 0 ? 1 : k > n ? 0 : regularizedBeta(p0, k, n - k + 1)); // P(X ≥ k)
    const mid = (atLeast(x) + atLeast(x + 1)) / 2;
    return zOfUpperTail(mid) / Math.sqrt(phi);
  }
  const sd = Math.sqrt(phi * n * p0 * (1 - p0));
  return sd > 0 ? (x - n * p0) / sd : 0;
}

export const proportion: Detector<ProportionState, ProportionParams> = {
  name: 'proportion',

  init(p) {
    return {
      p: {
        direction: p.direction,
        threshold: p.threshold,
        halfLife: p.halfLife ?? 360,
        minRate: p.minRate ?? 0.002,
        maxRate: p.maxRate ?? 0.998,
        minAbsEffect: p.minAbsEffect ?? 0.01,
        minRelEffect: p.minRelEffect ?? 0.5,
        dispersion: p.dispersion ?? 'binomial',
        warmupTrials: p.warmupTrials ?? 200,
        pool: p.pool ?? 5,
      },
      decay: Math.pow(2, -1 / (p.halfLife ?? 360)),
      s: 0,
      n: 0,
      phi: 1,
      phiN: 0,
      last: -Infinity,
      recentX: new Float64Array(Math.max(1, (p.pool ?? 5) - 1)),
      recentN: new Float64Array(Math.max(1, (p.pool ?? 5) - 1)),
    };
  },

  judge(st, point) {
    const n = point.trials ?? 0;
    const x = point.successes ?? 0;
    if (point.value === null || !(n > 0)) return NOT_READY;
    const p0 = baselineRate(st);
    if (st.n < st.p.warmupTrials) return { ...NOT_READY, expected: st.n > 0 ? p0 : null };
    const rate = x / n;
    const minEffect = Math.max(st.p.minAbsEffect, st.p.minRelEffect * p0);
    const effect = harmful(rate - p0, st.p.direction) >= minEffect;
    let z = zOf(st, x, n, p0);
    if (effect && st.p.pool > 1) {
      // pooled over the last `pool` slots (those still inside the pool's time span)
      let px = x;
      let pn = n;
      for (let k = 1; k < st.p.pool; k++) {
        const slot = point.index - k;
        if (slot > st.last || st.last - slot >= st.p.pool - 1) continue;
        const i = slot % st.recentX.length;
        px += st.recentX[i];
        pn += st.recentN[i];
      }
      if (pn > n) {
        const zp = zOf(st, px, pn, p0);
        if (harmful(zp, st.p.direction) > harmful(z, st.p.direction)) z = zp;
      }
    }
    const bad = harmful(z, st.p.direction);
    const anomalous = effect && bad >= st.p.threshold;
    // below the minimum effect the score is capped under 0.5 so that score ≥ 0.5 ⇔ anomalous
    const score = anomalous ? scoreOf(bad, st.p.threshold) : Math.min(scoreOf(bad, st.p.threshold), 0.49);
    return { score, anomalous, expected: p0, deviation: z, ready: true };
  },

  /** Updates in place. */
  learn(st, point, _result, accept) {
    const n = point.trials ?? 0;
    const x = point.successes ?? 0;
    const t = point.index;
    if (t <= st.last) return st;
    const gap = st.last === -Infinity ? 0 : t - st.last;
    const decay = gap === 1 ? st.decay : Math.pow(st.decay, gap);
    // pooled-test memory: this slot's counts, gaps as empty (the pool sees every slot, accepted or not)
    const len = st.recentX.length;
    for (let k = Math.max(st.last + 1, t - len + 1); k < t; k++) {
      st.recentX[k % len] = 0;
      st.recentN[k % len] = 0;
    }
    st.recentX[t % len] = point.value === null ? 0 : x;
    st.recentN[t % len] = point.value === null ? 0 : n;
    st.last = t;
    if (!accept || point.value === null || !(n > 0)) {
      st.s *= decay;
      st.n *= decay;
      return st;
    }
    // dispersion against the rate before this slot
    const p0 = baselineRate(st);
    if (st.n >= st.p.warmupTrials && (st.p.dispersion === 'estimated' || n * p0 >= PHI_MIN_EXPECTED)) {
      const r = (x - n * p0) ** 2 / (n * p0 * (1 - p0));
      const a = Math.max(0.005, 1 / (st.phiN + 1));
      st.phi = st.phiN === 0 ? r : (1 - a) * st.phi + a * r;
      st.phiN++;
    }
    st.s = st.s * decay + x;
    st.n = st.n * decay + n;
    return st;
  },
};
