import type { Direction } from '../types.ts';

/**
 * The one interface every learned detector implements.
 *
 * Detectors are pure functions over an explicit state: `init` builds the state from the
 * parameters and nothing else, and the only way the state changes is `learn`. Judging and
 * learning are separate on purpose: the caller (a single detector via `step`, or the
 * per-metric ensemble) first judges a point and then decides whether the point may enter
 * the baseline, so that anomalous points do not pollute it.
 *
 * Ownership: `learn` may update the state in place and return it (the robust baseline
 * keeps a week of Float32Array history; copying 40 KB per minute is not an option).
 * Callers must use the returned state and treat the one they passed in as consumed.
 * `judge` never modifies the state.
 */
export interface Detector<S, P, R extends DetectorResult = DetectorResult> {
  readonly name: string;
  init(params: P): S;
  /** How unusual the point is, given the state. Does not modify the state. */
  judge(state: S, point: DetectorPoint): R;
  /** Move the state past `point`; `accept` false records the slot as missing (the value stays out of the baseline). */
  learn(state: S, point: DetectorPoint, result: R, accept: boolean): S;
}

/** One observation. */
export interface DetectorPoint {
  /**
   * Slot number: consecutive integers for consecutive intervals (the minute number,
   * epoch ms / 60 000, for minute data). Gaps are missing slots; a slot at or before the
   * last learned one is ignored.
   */
  index: number;
  /** null: nothing to judge in this slot (no events, below minimum volume). */
  value: number | null;
  /** For proportion detectors: successes (may be fractional, e.g. a sum of 0..1 scores) out of `trials`. */
  successes?: number;
  trials?: number;
  /** Events behind the value (requests for a per-request metric), if known: level detectors widen their noise floor for small volumes. */
  volume?: number;
}

export interface DetectorResult {
  /** 0..1; 0.5 is the detector's threshold; 0 when the deviation is in the harmless direction. */
  score: number;
  /** True when the point is beyond the threshold in the harmful direction (and the detector is ready). */
  anomalous: boolean;
  /** What the detector expected for this slot (null when it cannot tell yet). */
  expected: number | null;
  /** Signed deviation in the detector's own unit: robust z (MADs) for level detectors, z for proportions, the EWMA/CUSUM statistic in sigmas. Positive = above. */
  deviation: number;
  /** Enough history to judge. */
  ready: boolean;
}

/** judge then learn, accepting the point into the baseline only when it is not anomalous. */
export function step<S, P, R extends DetectorResult>(detector: Detector<S, P, R>, state: S, point: DetectorPoint): { state: S; result: R } {
  const result = detector.judge(state, point);
  return { state: detector.learn(state, point, result, !result.anomalous), result };
}

/** Deviation in the harmful direction only (≥ 0), e.g. `up` keeps positive z and zeroes negative z. */
export function harmful(z: number, direction: Direction): number {
  if (direction === 'up') return Math.max(0, z);
  if (direction === 'down') return Math.max(0, -z);
  return Math.abs(z);
}

/**
 * 0..1 score from a harmful deviation and its threshold: 1 − 2^(−(d/threshold)²).
 * 0.5 exactly at the threshold, 0.94 at twice it; monotone, so scores of different
 * detectors compare by "how many thresholds out".
 */
export function scoreOf(harmfulDeviation: number, threshold: number): number {
  if (!(harmfulDeviation > 0)) return 0;
  const r = harmfulDeviation / threshold;
  return 1 - Math.pow(2, -r * r);
}

export const NOT_READY: DetectorResult = Object.freeze({ score: 0, anomalous: false, expected: null, deviation: 0, ready: false });
