import type { Direction } from '../types.ts';
import { gatherArray, gatherRing, normalQuantile, ringMean, scratchMad, scratchMedian } from './math.ts';
import { harmful, NOT_READY, scoreOf, type Detector, type DetectorResult } from './types.ts';

/**
 * Robust seasonal baseline: rolling median and MAD, corrected by the shape of the same
 * time one day and one week earlier.
 *
 * Why not just a rolling median? On a daily rhythm the median of the last hour lags a
 * morning ramp by half an hour; on a busy series (low Poisson noise) that lag alone is
 * several MADs. So once a lag's history exists, the expectation is
 *
 *     e_L = a_L · (m / b_L)        (multiplicative; additive: a_L + m − b_L)
 *
 * with m = median of the last `window` slots, b_L = the same window L slots earlier and
 * a_L = median of the ±`seasonHalfWindow` slots around "now − L": yesterday's (last
 * week's) shape, today's level. Weekday/weekend level differences cancel in m / b_L, the
 * shape comes from history. The expectation is the mean of the day and week e_L when
 * they agree within one noise scale, the week's when they do not (it alone knows
 * weekday/weekend transitions), the day's before a week of history, else m.
 *
 * The scale is the MAD of recent residuals (value − expectation) of accepted points, so
 * it measures the noise around the seasonal expectation, not the ramp; floors keep it
 * away from zero (relative, absolute, and √expected for counts, the Poisson noise).
 *
 * `windowVersusLag` gives the mean of the last `window` slots next to the same window
 * one lag earlier (not level-corrected): what a slow drift detector (CUSUM) compares,
 * since anything level-corrected would absorb a slow creep.
 *
 * The noise scale moves slowly, so it is recomputed every `SCALE_EVERY` slots only
 * (the floors, which follow the expectation, every slot).
 *
 * Counts (`countFloor`) also get an exact test for silence: during a run of zero slots,
 * P(all zero) = e^(−Λ) with Λ the summed expectation over the run, and the z of that
 * probability replaces the Gaussian one when it is more extreme. A feature whose 20
 * requests a minute stop is then certain after one or two minutes, where (0 − 20)/√20
 * alone would never cross 5.
 *
 * Memory: one Float32Array ring of max(lag) + window + 1 slots (NaN = missing or
 * excluded) and one of `window` residuals: (10 080 + 61 + 60) × 4 ≈ 40.8 KB per series
 * and metric for a weekly lag on minute data; (180 + 60) × 4 ≈ 1 KB without seasonality.
 */
export interface BaselineParams {
  direction: Direction;
  /** Robust z beyond which a point is anomalous. */
  threshold: number;
  /** Slots of the rolling median (default 60). */
  window?: number;
  /** Half width of the seasonal window around "now − lag" (default 10). */
  seasonHalfWindow?: number;
  /** Seasonal lags in slots, e.g. [1440, 10080] for minute data; [] for none. */
  lags?: number[];
  seasonality?: 'multiplicative' | 'additive';
  /** Scale floors: relative to |expected|, absolute, and √expected (counts). */
  relativeFloor?: number;
  absoluteFloor?: number;
  countFloor?: boolean;
  /**
   * Scale floor c·|expected| / √volume when the point carries a volume: the value is a sum
   * or quantile over `volume` events, so its relative noise is at least ~c / √volume
   * (c ≈ the per-event coefficient of variation). Keeps a minute of 3 requests from
   * looking like a spike because the recent minutes happened to be alike. 0: off.
   */
  volumeFloor?: number;
  /** Valid slots needed in the rolling window (default window / 4). */
  minPoints?: number;
  /**
   * Tail floor: the scale is at least `tailFloor` × q / 2.576, q a slowly tracked 99th
   * percentile of accepted |residuals| (about the last few days). For Gaussian noise this
   * is the noise σ again and changes nothing; for heavy-tailed, spiky or mostly-flat
   * series (MAD 0 between bursts) it keeps an ordinary burst from being a 10⁹-σ event:
   * a point must stand out against the series' own tail, not against its quiet median.
   * 0: off.
   */
  tailFloor?: number;
}

export interface BaselineState {
  readonly p: Required<BaselineParams>;
  ring: Float32Array;
  resid: Float32Array;
  residNext: number;
  residCount: number;
  /** Last slot learned, −Infinity before any. */
  last: number;
  /** Slots learned with a value (accepted or not). */
  seen: number;
  /** Last rolling median computed from enough points: fallback while the window is empty (long incident, night gap). */
  level: number;
  /** Cached raw noise scale and the slot it was computed at. */
  scale: number;
  scaleAt: number;
  /** Current run of zero values (counts): its length and summed expectation. */
  zeroRun: number;
  zeroLambda: number;
  /** Tracked 99th percentile of accepted |residuals| (NaN before the first). */
  tail: number;
}

export interface BaselineResult extends DetectorResult {
  /** Noise scale used for the z (≥ floors). */
  scale: number;
  /** Rolling median used (internal: remembered by learn as the fallback level). */
  level: number;
  /** Noise scale before the floors (internal: cached by learn). */
  rawScale: number;
}

function resolve(p: BaselineParams): Required<BaselineParams> {
  const window = p.window ?? 60;
  return {
    direction: p.direction,
    threshold: p.threshold,
    window,
    seasonHalfWindow: p.seasonHalfWindow ?? 10,
    lags: [...(p.lags ?? [])].sort((a, b) => a - b),
    seasonality: p.seasonality ?? 'multiplicative',
    relativeFloor: p.relativeFloor ?? 0.02,
    absoluteFloor: p.absoluteFloor ?? 1e-9,
    countFloor: p.countFloor ?? false,
    volumeFloor: p.volumeFloor ?? 0,
    minPoints: p.minPoints ?? Math.max(3, Math.floor(window / 4)),
    tailFloor: p.tailFloor ?? 0,
  };
}

/** Ring capacity: enough for the longest lag's windows. */
export function baselineCapacity(p: BaselineParams): number {
  const r = resolve(p);
  const maxLag = r.lags.length ? r.lags[r.lags.length - 1] : 0;
  return maxLag > 0 ? maxLag + Math.max(r.window, r.seasonHalfWindow) + 1 : r.window * 3;
}

/** Bytes of typed-array memory per state (the dominant cost). */
export function baselineBytes(p: BaselineParams): number {
  return (baselineCapacity(p) + resolve(p).window) * 4;
}

interface Estimate {
  expected: number;
  scale: number;
  rawScale: number;
  level: number;
}

const SCALE_EVERY = 5;

/** Quantile tracked by the tail floor, and the multiplicative step of its tracker. */
const TAIL_Q = 0.99;
const TAIL_STEP = 0.05;
/** Share of the step for points judged anomalous (they still teach the burst size, slowly). */
const TAIL_STEP_ANOMALOUS = 0.2;

/**
 * Multiplicative stochastic quantile tracker: up by TAIL_STEP·q when exceeded, down by
 * TAIL_STEP·(1 − q) otherwise, so it settles where P(x > tail) = 1 − q; about 1/(TAIL_STEP·(1−q)) = 2 000
 * points of memory. Scale-free (works for any unit) and O(1).
 */
function trackTail(tail: number, x: number, accepted: boolean): number {
  if (!(tail > 0)) return x > 0 ? x : tail === tail ? tail : 0;
  const step = accepted ? TAIL_STEP : TAIL_STEP * TAIL_STEP_ANOMALOUS;
  return x > tail ? tail * (1 + step * TAIL_Q) : tail * (1 - step * (1 - TAIL_Q));
}

/** MAD of recent residuals (or, with too few yet, of the window's values), times 1.4826. */
function rawScale(s: BaselineState, t: number): number {
  const { window, minPoints } = s.p;
  let n = gatherArray(s.resid, s.residCount, true);
  if (n >= minPoints) return 1.4826 * scratchMedian(n);
  n = gatherRing(s.ring, t - window, t - 1);
  if (n < 3) return 0;
  const m = scratchMedian(n);
  n = gatherRing(s.ring, t - window, t - 1);
  return 1.4826 * scratchMad(n, m);
}

function estimate(s: BaselineState, t: number, volume: number | undefined): Estimate | null {
  const { window, seasonHalfWindow: h, lags, seasonality, minPoints } = s.p;
  const cap = s.ring.length;
  if (s.last === -Infinity || t - s.last >= cap) return null;
  // rolling median over [t − window, t − 1]
  let n = gatherRing(s.ring, t - window, t - 1);
  let level: number;
  if (n >= minPoints) level = scratchMedian(n);
  else if (Number.isFinite(s.level)) level = s.level;
  else return null;

  const cached = t - s.scaleAt < SCALE_EVERY && Number.isFinite(s.scale);
  const raw = cached ? s.scale : rawScale(s, t);

  // one level-corrected expectation per lag that has history; lags ascending (day, week)
  let eDay = NaN;
  let eLong = NaN;
  for (const lag of lags) {
    if (t - lag - window <= t - cap) continue; // outside the ring
    n = gatherRing(s.ring, t - lag - h, t - lag + h);
    if (n < h) continue;
    const a = scratchMedian(n);
    n = gatherRing(s.ring, t - lag - window, t - lag - 1, 2);
    if (n < minPoints / 2) continue;
    const b = scratchMedian(n);
    const e = seasonality === 'multiplicative' && b > 0 && a >= 0 ? (a * level) / b : a + level - b;
    if (Number.isNaN(eDay)) eDay = e;
    else eLong = e;
  }
  // Blend: the mean when the lags agree (less noise). When they disagree by more than
  // one noise scale, the longer lag wins: it knows the weekly shape (a Friday-to-Saturday
  // midnight is not the Thursday-to-Friday one), the day lag does not.
  let expected: number;
  if (Number.isNaN(eDay)) expected = level;
  else if (Number.isNaN(eLong)) expected = eDay;
  else expected = Math.abs(eDay - eLong) <= Math.max(raw, s.p.relativeFloor * Math.abs(eLong)) ? (eDay + eLong) / 2 : eLong;
  if (expected < 0 && level >= 0) expected = 0;

  const volumeFloor = s.p.volumeFloor > 0 && volume !== undefined ? (s.p.volumeFloor * Math.abs(expected)) / Math.sqrt(Math.max(1, volume)) : 0;
  const tailFloor = s.p.tailFloor > 0 && s.tail === s.tail ? (s.p.tailFloor * s.tail) / 2.576 : 0;
  const floor = Math.max(s.p.relativeFloor * Math.abs(expected), s.p.absoluteFloor, s.p.countFloor ? Math.sqrt(Math.max(expected, 1)) : 0, volumeFloor, tailFloor);
  return { expected, scale: Math.max(raw, floor), rawScale: raw, level };
}

/**
 * Mean of the last `w` slots before `t` and of the same window `lag` slots earlier
 * (finite values only, with their counts), or null when the lag is not in the ring.
 */
export function windowVersusLag(s: BaselineState, t: number, lag: number, w = s.p.window): { now: number; nNow: number; then: number; nThen: number } | null {
  if (t - lag - w <= t - s.ring.length) return null;
  const a = ringMean(s.ring, t - w, t - 1);
  const b = ringMean(s.ring, t - lag - w, t - lag - 1);
  return { now: a.mean, nNow: a.n, then: b.mean, nThen: b.n };
}

export const robustBaseline: Detector<BaselineState, BaselineParams, BaselineResult> = {
  name: 'baseline',

  init(params) {
    const p = resolve(params);
    const ring = new Float32Array(baselineCapacity(params)).fill(NaN);
    return { p, ring, resid: new Float32Array(p.window).fill(NaN), residNext: 0, residCount: 0, last: -Infinity, seen: 0, level: NaN, scale: NaN, scaleAt: -Infinity, zeroRun: 0, zeroLambda: 0, tail: NaN };
  },

  judge(s, point): BaselineResult {
    if (point.value === null || point.index <= s.last) return { ...NOT_READY, scale: NaN, level: NaN, rawScale: NaN };
    const e = estimate(s, point.index, point.volume);
    if (!e) return { ...NOT_READY, scale: NaN, level: NaN, rawScale: NaN };
    let z = (point.value - e.expected) / e.scale;
    if (s.p.countFloor && point.value === 0 && e.expected > 0) {
      // exact: the chance of seeing nothing for the whole zero run
      const lambda = s.zeroLambda + e.expected;
      z = Math.min(z, normalQuantile(Math.exp(-lambda)));
    }
    const ready = s.seen >= s.p.minPoints * 2;
    const bad = harmful(z, s.p.direction);
    return { score: ready ? scoreOf(bad, s.p.threshold) : 0, anomalous: ready && bad >= s.p.threshold, expected: e.expected, deviation: z, ready, scale: e.scale, level: e.level, rawScale: e.rawScale };
  },

  learn(s, point, result, accept) {
    const t = point.index;
    if (t <= s.last) return s;
    const cap = s.ring.length;
    // slots skipped since the last one are missing
    const from = s.last === -Infinity ? t : Math.max(s.last + 1, t - cap + 1);
    for (let i = from; i < t; i++) s.ring[i % cap] = NaN;
    const v = point.value;
    s.ring[t % cap] = accept && v !== null ? v : NaN;
    s.last = t;
    if (v === 0 && result.expected !== null) {
      s.zeroRun++;
      s.zeroLambda += result.expected;
    } else if (v !== null) {
      s.zeroRun = 0;
      s.zeroLambda = 0;
    }
    if (v !== null) {
      s.seen++;
      if (accept && result.expected !== null) {
        s.resid[s.residNext] = v - result.expected;
        s.residNext = (s.residNext + 1) % s.resid.length;
        s.residCount = Math.min(s.residCount + 1, s.resid.length);
      }
      // every judged point, anomalous ones included (a series whose every burst is
      // "anomalous" against a zero MAD must still learn how large its bursts are; the
      // tracker moves by steps, so a long incident raises it by at most TAIL_STEP a point);
      // exact-zero residuals (a flat stretch) say nothing about how large a burst is
      if (s.p.tailFloor > 0 && result.expected !== null && v !== result.expected) s.tail = trackTail(s.tail, Math.abs(v - result.expected), accept);
    }
    // remember the level for windows that run empty (a long incident, a night without events)
    if (Number.isFinite(result.level)) s.level = result.level;
    if (Number.isFinite(result.rawScale) && result.rawScale !== s.scale) {
      s.scale = result.rawScale;
      s.scaleAt = t;
    }
    return s;
  },
};
