import type { Direction } from '../types.ts';
import { clamp } from './math.ts';
import { harmful, NOT_READY, scoreOf, type Detector } from './types.ts';

/**
 * EWMA control chart: E ← (1 − α)·E + α·z, with z the point standardised by a mean and
 * standard deviation that are either known (`known`) or learned with a slower EWMA of
 * accepted points (`learnAlpha`, after `warmup` points).
 *
 * Why: a robust-z threshold catches spikes but not a moderate shift that stays (a quality
 * drop worth 2 σ per minute, a small feature's traffic falling to zero where each single
 * minute is plausible Poisson noise). The chart averages the evidence of the last ~1/α
 * points. The deviation reported is E over the chart's standard deviation, so `limit`
 * reads like any z threshold; that standard deviation is the larger of the theoretical
 * √(α / (2 − α)) (independent inputs) and the one learned from the chart itself on
 * accepted points — residuals of a seasonal expectation are autocorrelated (the
 * expectation's own error lasts for many minutes), which widens the chart far beyond
 * the theory, and a fixed limit would then alarm daily.
 *
 * z is clipped to ±`clip` first so one extreme spike (the spike detector's business) does
 * not keep the chart high for many minutes after it. `minSd` floors the learned input sd
 * (an input that is almost constant, like a rate that is always 0, must not turn its
 * first wobble into a huge z).
 */
export interface EwmaParams {
  direction: Direction;
  /** Chart threshold in chart sigmas. */
  limit: number;
  /** Chart smoothing (default 0.1: memory of ~10 points). */
  alpha?: number;
  /** Known mean and sd of the input; omit to learn them. */
  known?: { mean: number; sd: number };
  /** Smoothing of the learned input mean / sd (default 0.01). */
  learnAlpha?: number;
  /**
   * Smoothing of the learned chart spread (default 0.001, ~1 000 points). Slow on purpose,
   * and each update is capped at 4× the current variance: while a shift builds up, the
   * points are still accepted, and a fast-learning spread would grow with the shift and
   * never let the chart cross its limit.
   */
  chartAlpha?: number;
  /** Points before judging (default 30). */
  warmup?: number;
  clip?: number;
  minSd?: number;
}

export interface EwmaState {
  readonly p: Required<Omit<EwmaParams, 'known'>> & { known: EwmaParams['known'] };
  chart: number;
  mean: number;
  variance: number;
  chartVariance: number;
  n: number;
}

const chartSd = (alpha: number): number => Math.sqrt(alpha / (2 - alpha));

function standardise(s: EwmaState, x: number): number {
  const k = s.p.known;
  const mean = k ? k.mean : s.mean;
  const sd = Math.max(k ? k.sd : Math.sqrt(s.variance), s.p.minSd);
  return clamp((x - mean) / sd, -s.p.clip, s.p.clip);
}

const ready = (s: EwmaState): boolean => s.n >= s.p.warmup;

export const ewma: Detector<EwmaState, EwmaParams> = {
  name: 'ewma',

  init(p) {
    return {
      p: { direction: p.direction, limit: p.limit, alpha: p.alpha ?? 0.1, known: p.known, learnAlpha: p.learnAlpha ?? 0.01, chartAlpha: p.chartAlpha ?? 0.001, warmup: p.warmup ?? 30, clip: p.clip ?? 4, minSd: p.minSd ?? 1e-9 },
      chart: 0,
      mean: 0,
      variance: 0,
      chartVariance: 0,
      n: 0,
    };
  },

  judge(s, point) {
    if (point.value === null) return NOT_READY;
    if (!ready(s)) return { ...NOT_READY, expected: s.p.known?.mean ?? (s.n > 0 ? s.mean : null) };
    const chart = (1 - s.p.alpha) * s.chart + s.p.alpha * standardise(s, point.value);
    const dev = chart / Math.max(chartSd(s.p.alpha), Math.sqrt(s.chartVariance));
    const bad = harmful(dev, s.p.direction);
    return { score: scoreOf(bad, s.p.limit), anomalous: bad >= s.p.limit, expected: s.p.known?.mean ?? s.mean, deviation: dev, ready: true };
  },

  /** Updates in place. The chart accumulates evidence whether or not the point is accepted; the learned statistics only from accepted points. */
  learn(s, point, _result, accept) {
    const x = point.value;
    if (x === null) return s;
    if (ready(s) || s.n > s.p.warmup / 2) s.chart = (1 - s.p.alpha) * s.chart + s.p.alpha * standardise(s, x);
    if (!accept) return s;
    const n = s.n + 1;
    const a = n <= s.p.warmup ? 1 / n : s.p.learnAlpha;
    if (!s.p.known) {
      const d = x - s.mean;
      s.mean += a * d;
      s.variance = n === 1 ? 0 : (1 - a) * (s.variance + a * d * d);
    }
    // chart spread: a running average from mid warm-up (so it is known when judging starts), then EWMA
    const from = Math.floor(s.p.warmup / 2);
    if (n > from) {
      const b = Math.max(s.p.chartAlpha, 1 / (n - from));
      const sq = n >= s.p.warmup ? Math.min(s.chart * s.chart, 4 * Math.max(s.chartVariance, chartSd(s.p.alpha) ** 2)) : s.chart * s.chart;
      s.chartVariance = (1 - b) * s.chartVariance + b * sq;
    }
    s.n = n;
    return s;
  },
};
