/**
 * The statistics of GET /v1/quality/compare, pure and I/O-free: t-based 95 % confidence
 * intervals, and the one-sided Welch t-test on means and two-proportion z-test on pass
 * rates of ../core/statistics.ts, adapted to the API's result shapes.
 * "Regression" means the candidate is worse: scores are 0..1, higher is better, so the
 * alternative hypothesis is always candidate < baseline.
 */
import { studentTQuantile, twoProportionZTestOneSided, welchTTestOneSided } from '../core/statistics.ts';

export const WELCH_TEST = 'welch_t_one_sided';
export const PROPORTION_TEST = 'two_proportion_z_one_sided';
export const DEFAULT_ALPHA = 0.05;

/** Sufficient statistics of one side, as SQL computes them (variance: sample, n − 1). */
export interface SampleSummary {
  n: number;
  mean: number | null;
  variance: number | null;
}

/** Two-sided 95 % t interval of a mean; null below 2 observations. */
export function meanCi95(s: SampleSummary): [number, number] | null {
  if (s.n < 2 || s.mean === null || s.variance === null) return null;
  const half = studentTQuantile(0.975, s.n - 1) * Math.sqrt(s.variance / s.n);
  return [s.mean - half, s.mean + half];
}

export interface WelchResult {
  test: typeof WELCH_TEST;
  alpha: number;
  /** candidate mean − baseline mean (null when a side has no scores). */
  difference: number | null;
  /** Two-sided 95 % Welch interval of the difference. */
  difference_ci95: [number, number] | null;
  t: number | null;
  df: number | null;
  /** One-sided p-value of H1: candidate mean < baseline mean. */
  p_value: number | null;
  regression: boolean;
  note: string | null;
}

/**
 * Welch's unequal-variance t-test, one-sided (H1: candidate < baseline). Needs at least
 * two scores per side. When neither side varies the statistic is ±∞; the p-value is its
 * limit (0 for a lower candidate, 1 for a higher, undefined for equal means).
 */
export function welchOneSided(baseline: SampleSummary, candidate: SampleSummary, alpha = DEFAULT_ALPHA): WelchResult {
  const out: WelchResult = { test: WELCH_TEST, alpha, difference: null, difference_ci95: null, t: null, df: null, p_value: null, regression: false, note: null };
  if (baseline.mean === null || candidate.mean === null || baseline.n === 0 || candidate.n === 0) {
    out.note = 'insufficient data: one side has no scores';
    return out;
  }
  out.difference = candidate.mean - baseline.mean;
  const r =
    baseline.variance === null || candidate.variance === null
      ? null
      : welchTTestOneSided(
          { mean: baseline.mean, variance: Math.max(0, baseline.variance), n: baseline.n },
          { mean: candidate.mean, variance: Math.max(0, candidate.variance), n: candidate.n },
        );
  if (r === null || r.kind === 'too_few') {
    out.note = 'insufficient data: the test needs at least 2 scores per side';
    return out;
  }
  if (r.kind === 'no_variance') {
    out.difference_ci95 = [out.difference, out.difference];
    if (out.difference === 0) {
      out.note = 'no variance and equal means: the test is undefined';
    } else {
      out.p_value = r.pValue;
      out.regression = out.difference < 0;
      out.note = 'no variance on either side: t is infinite, p is its limit';
    }
    return out;
  }
  const half = studentTQuantile(0.975, r.df) * r.se;
  out.t = r.t;
  out.df = r.df;
  out.p_value = r.pValue;
  out.difference_ci95 = [out.difference - half, out.difference + half];
  out.regression = out.p_value < alpha;
  return out;
}

export interface ProportionResult {
  test: typeof PROPORTION_TEST;
  alpha: number;
  baseline_pass_rate: number | null;
  candidate_pass_rate: number | null;
  /** candidate pass rate − baseline pass rate. */
  difference: number | null;
  z: number | null;
  /** One-sided p-value of H1: candidate pass rate < baseline pass rate (pooled z). */
  p_value: number | null;
  regression: boolean;
  note: string | null;
}

/** Pooled two-proportion z-test on pass rates, one-sided (H1: candidate < baseline). */
export function twoProportionOneSided(
  baseline: { passed: number; judged: number },
  candidate: { passed: number; judged: number },
  alpha = DEFAULT_ALPHA,
): ProportionResult {
  const out: ProportionResult = {
    test: PROPORTION_TEST, alpha, baseline_pass_rate: null, candidate_pass_rate: null, difference: null, z: null, p_value: null, regression: false, note: null,
  };
  const r = twoProportionZTestOneSided({ passed: baseline.passed, n: baseline.judged }, { passed: candidate.passed, n: candidate.judged });
  out.baseline_pass_rate = r.baselineRate;
  out.candidate_pass_rate = r.candidateRate;
  if (r.kind === 'empty_side') {
    out.note = 'insufficient data: one side has no pass/fail verdicts';
    return out;
  }
  out.difference = r.difference;
  if (r.kind === 'no_variance') {
    out.note = 'every verdict is the same on both sides: no difference to test';
    return out;
  }
  out.z = r.z;
  out.p_value = r.pValue;
  out.regression = out.p_value < alpha;
  return out;
}
