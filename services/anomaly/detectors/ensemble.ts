import { cusum, cusumStatus, type CusumState } from './cusum.ts';
import type { MetricProfile } from './defaults.ts';
import { ewma, type EwmaState } from './ewma.ts';
import { proportion, type ProportionState } from './proportion.ts';
import { baselineBytes, robustBaseline, windowVersusLag, type BaselineParams, type BaselineResult, type BaselineState } from './robust-baseline.ts';
import { NOT_READY, type Detector, type DetectorPoint, type DetectorResult } from './types.ts';

/**
 * The default detector of one metric: a primary detector plus detectors on its output.
 *
 *   level metrics:      robust seasonal baseline ─ z ─▶ EWMA chart
 *                       half-hour mean vs the same half hour last week ─▶ CUSUM  (cost)
 *   proportion metrics: binomial / proportion test, per minute and pooled over 5
 *
 * Proportions get no EWMA: at low volume their z-scores are sparse jumps (one error
 * among five requests is z ≈ 3), and a chart of them alarms on a few scattered night
 * errors; the exact pooled binomial test answers the same "sustained?" question without
 * that bias (measured: 5 false alarms in 8 days with the chart, 0 without).
 *
 * The point is anomalous when any member says so (OR), the score is the largest member
 * score. Why OR and not a vote: the members see different incident shapes — a spike is
 * only visible to the baseline, a small feature's traffic falling to zero or a 2-σ
 * quality drop only to the EWMA of residuals, a +2 %/h creep only to the CUSUM — so a
 * vote would miss every incident that only one shape shows. Precision comes instead from
 * each member's conservative threshold (derived from the one `threshold` knob), from the
 * EWMA's learned spread, and from the k-of-n firing rule downstream; the scenario suite
 * (test/anomaly/scenarios.test.ts) measures both.
 *
 * The creep CUSUM takes one input per 30 slots (half an hour of minutes): the mean of
 * the last half hour minus the mean of the same half hour a week earlier, in standard errors
 * (scale·√(1/n₁ + 1/n₂)), minus a dead zone of `creepMinRelative` of last week's level.
 * Half-hour means are nearly Gaussian (per-minute costs of a few requests are not) and
 * independent of each other, which is what the CUSUM's false-alarm arithmetic assumes:
 * with k = 0.5 and h = 1.6·threshold (8 σ at the default 5) the textbook in-control run
 * length is ~2·10⁴ inputs per series, and far longer with the reset below (an alarm then
 * needs a run of above-last-week half hours). Its sum is reset when a half hour is back at or below last
 * week's level (the drift is over), so alerts resolve within half an hour of a fix.
 *
 * Anomalous points (by the baseline / proportion test or the EWMA) stay out of the
 * baseline, so an incident is judged against the pre-incident normal until it ends.
 * Points flagged only by the CUSUM are learned: the minute itself is ordinary, it is the
 * level against last week that drifted. A change that stays anomalous for `relearnAfter`
 * slots (default one day) is accepted as the new normal: points are learned again and
 * the EWMA and CUSUM restart.
 */
export interface EnsembleParams {
  profile: MetricProfile;
  /** Slots per day (1440 for minute data); seasonal lags are one day and one week of slots. 0: no seasonality. */
  slotsPerDay?: number;
  /** Largest seasonal lag kept (slots), bounding memory for fine-grained data. */
  maxLag?: number;
  relearnAfter?: number;
}

export interface EnsembleState {
  readonly p: { profile: MetricProfile; relearnAfter: number; weekLag: number | null };
  baseline?: BaselineState;
  prop?: ProportionState;
  ewma: EwmaState;
  cusum?: CusumState;
  /** Consecutive anomalous points. */
  run: number;
}

export interface EnsembleResult extends DetectorResult {
  /** Members that flagged the point. */
  flagged: string[];
  /** Noise scale of the level baseline (NaN for proportions). */
  scale: number;
  /** Internal: member inputs and results, handed back to learn. */
  members: { primary: DetectorResult; z: number | null; ewma: DetectorResult; slowZ: number | null; cusum: DetectorResult | null };
}

/** EWMA smoothing of residual z-scores. */
const EWMA_ALPHA = 0.1;
/**
 * Standardised inputs are clipped to ±2.5 before the chart: one spike then moves the
 * chart by at most 0.25 (about one chart σ), so a single bad minute cannot keep the chart
 * over its limit for the minutes after it and fire through the k-of-n rule (measured: a
 * 3× one-minute blip on a 4-request series did so with ±4).
 */
const EWMA_CLIP = 2.5;
/**
 * The chart's limit is 1.5 × threshold (7.5 chart σ at the default 5): residuals of a
 * seasonal expectation carry its slowly varying error, so the chart's tails are heavier
 * than its learned spread says; at 1 × threshold it raised 2 false alarms in 4 simulated
 * 8-day runs, at 1.5 × none, and every scenario incident is caught by the other members
 * (it remains the only member for moderate sustained shifts, e.g. traffic halving).
 */
const EWMA_LIMIT_PER_THRESHOLD = 1.5;
/** Points before the chart judges: its own spread is learned over the second half (3 hours of minutes). */
const EWMA_WARMUP = 180;
/** CUSUM decision interval per unit of threshold (hourly inputs): h = 1.6 · threshold. */
const CUSUM_H_PER_THRESHOLD = 1.6;
const CUSUM_K = 0.5;
/** Slots per creep input (half an hour of minutes). */
const CREEP_WINDOW = 30;

export function baselineParamsOf(params: EnsembleParams): BaselineParams {
  const pr = params.profile;
  const day = params.slotsPerDay ?? 1440;
  const maxLag = params.maxLag ?? 7 * 1440;
  const lags = pr.seasonal && day > 0 ? [day, 7 * day].filter((l) => l <= maxLag) : [];
  return {
    direction: pr.settings.direction,
    threshold: pr.settings.threshold,
    lags,
    seasonality: pr.seasonality,
    countFloor: pr.countFloor,
    relativeFloor: pr.relativeFloor,
    volumeFloor: pr.volumeFloor,
    tailFloor: pr.tailFloor,
  };
}

/** Typed-array bytes of one ensemble state (the baseline ring dominates). */
export function ensembleBytes(params: EnsembleParams): number {
  return params.profile.kind === 'level' ? baselineBytes(baselineParamsOf(params)) : 0;
}

export const ensemble: Detector<EnsembleState, EnsembleParams, EnsembleResult> = {
  name: 'ensemble',

  init(params) {
    const pr = params.profile;
    const t = pr.settings.threshold;
    const dir = pr.settings.direction;
    const bp = baselineParamsOf(params);
    const weekLag = pr.kind === 'level' && pr.cusum && bp.lags!.length === 2 ? bp.lags![1] : null;
    const s: EnsembleState = {
      p: { profile: pr, relearnAfter: params.relearnAfter ?? 1440, weekLag },
      // residual z-scores are not exactly N(0, 1) (skewed small-volume sums and quantiles,
      // scale floors): the chart standardises them by their own learned mean and sd
      ewma: ewma.init({ direction: dir, limit: EWMA_LIMIT_PER_THRESHOLD * t, alpha: EWMA_ALPHA, learnAlpha: 0.005, warmup: EWMA_WARMUP, minSd: 0.5, clip: EWMA_CLIP }),
      run: 0,
    };
    if (pr.kind === 'level') {
      s.baseline = robustBaseline.init(bp);
      if (weekLag !== null) s.cusum = cusum.init({ direction: dir, h: CUSUM_H_PER_THRESHOLD * t, k: CUSUM_K, known: { mean: 0, sd: 1 }, clip: 6, cap: 1.5 });
    } else {
      const q = pr.proportion!;
      s.prop = proportion.init({ direction: dir, threshold: t, dispersion: q.dispersion, minRate: q.minRate, minAbsEffect: q.minAbsEffect, minRelEffect: q.minRelEffect });
    }
    return s;
  },

  judge(s, point) {
    const pr = s.p.profile;
    let primary: DetectorResult;
    let scale = NaN;
    let slowZ: number | null = null;
    if (s.baseline) {
      const b: BaselineResult = robustBaseline.judge(s.baseline, point);
      primary = b;
      scale = b.scale;
      if (s.cusum && s.p.weekLag !== null && b.ready && point.index % CREEP_WINDOW === 0) {
        const w = windowVersusLag(s.baseline, point.index, s.p.weekLag, CREEP_WINDOW);
        if (w && w.nNow >= CREEP_WINDOW / 2 && w.nThen >= CREEP_WINDOW / 2 && b.scale > 0) {
          const d = w.now - w.then;
          const dz = Math.sign(d) * Math.max(0, Math.abs(d) - pr.creepMinRelative * Math.abs(w.then));
          slowZ = dz / (b.scale * Math.sqrt(1 / w.nNow + 1 / w.nThen));
        }
      }
    } else {
      primary = proportion.judge(s.prop!, point);
      if (pr.proportion?.value === 'count' && primary.expected !== null) primary = { ...primary, expected: primary.expected * (point.trials ?? 0) };
    }
    const z = primary.ready && s.baseline ? primary.deviation : null;
    const e = z === null ? NOT_READY : ewma.judge(s.ewma, { index: point.index, value: z });
    const c = !s.cusum ? null : slowZ !== null ? cusum.judge(s.cusum, { index: point.index, value: slowZ }) : point.value !== null ? cusumStatus(s.cusum) : null;

    const flagged: string[] = [];
    if (primary.anomalous) flagged.push(s.baseline ? 'baseline' : 'proportion');
    if (e.anomalous) flagged.push('ewma');
    if (c?.anomalous) flagged.push('cusum');
    return {
      score: Math.max(primary.score, e.score, c?.score ?? 0),
      anomalous: flagged.length > 0,
      expected: primary.expected,
      deviation: primary.deviation,
      ready: primary.ready,
      flagged,
      scale,
      members: { primary, z, ewma: e, slowZ, cusum: c },
    };
  },

  /** Updates in place. `accept` is the caller's decision; see `stepEnsemble` for the ensemble's own. */
  learn(s, point, r, accept) {
    const m = r.members;
    const run = point.value === null ? s.run : r.anomalous ? s.run + 1 : 0;
    if (run >= s.p.relearnAfter) accept = true; // a change that lasted this long is the new normal
    if (s.baseline) s.baseline = robustBaseline.learn(s.baseline, point, m.primary as BaselineResult, accept);
    if (s.prop) s.prop = proportion.learn(s.prop, point, m.primary, accept);
    if (m.z !== null) s.ewma = ewma.learn(s.ewma, { index: point.index, value: m.z }, m.ewma, accept);
    if (s.cusum && m.slowZ !== null && m.cusum) {
      s.cusum = cusum.learn(s.cusum, { index: point.index, value: m.slowZ }, m.cusum, accept);
      // the drift is over once an hour is back at last week's level
      if (m.slowZ <= 0) s.cusum.hi = 0;
      if (m.slowZ >= 0) s.cusum.lo = 0;
    }
    if (run === s.p.relearnAfter) {
      s.ewma = ewma.init({ ...s.ewma.p });
      if (s.cusum) s.cusum = cusum.init({ ...s.cusum.p });
    }
    s.run = run;
    return s;
  },
};

/**
 * judge + learn with the ensemble's own acceptance rule (what the engine and `npm run
 * detect` do per point): the point enters the baseline unless the baseline / proportion
 * test or the EWMA found it anomalous.
 */
export function stepEnsemble(s: EnsembleState, point: DetectorPoint): { state: EnsembleState; result: EnsembleResult } {
  const result = ensemble.judge(s, point);
  const accept = !(result.members.primary.anomalous || result.members.ewma.anomalous);
  return { state: ensemble.learn(s, point, result, accept), result };
}

/**
 * Learn a history point without judging it (engine start-up from the rollups): O(1) per
 * point instead of the medians of a full judgement, so a week of history for hundreds of
 * series loads in seconds. The baseline learns the value, the proportion test its
 * counts; EWMA and CUSUM start from zero (in control) and the residual scale fills in
 * over the first live minutes (until then the window's MAD, which is wider: safe).
 * Points are not screened, so an incident inside the warm-up history enters the baseline.
 */
export function warmEnsemble(s: EnsembleState, point: DetectorPoint): EnsembleState {
  if (s.baseline) s.baseline = robustBaseline.learn(s.baseline, point, { ...NOT_READY, scale: NaN, level: NaN, rawScale: NaN }, true);
  if (s.prop) s.prop = proportion.learn(s.prop, point, NOT_READY, true);
  return s;
}
