/**
 * The statistics of GET /v1/quality/compare, pure and I/O-free: Student's t and the
 * normal distribution (CDF, quantile), a one-sided Welch t-test on means, t-based 95 %
 * confidence intervals, and a one-sided two-proportion z-test on pass rates.
 * "Regression" means the candidate is worse: scores are 0..1, higher is better, so the
 * alternative hypothesis is always candidate < baseline.
 */

export const WELCH_TEST = 'welch_t_one_sided';
export const PROPORTION_TEST = 'two_proportion_z_one_sided';
export const DEFAULT_ALPHA = 0.05;

/** Sufficient statistics of one side, as SQL computes them (variance: sample, n − 1). */
export interface SampleSummary {
  n: number;
  mean: number | null;
  variance: number | null;
}

// ---------------------------------------------------------------- special functions

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; ~15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-15;
const TINY = 1e-300;

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T ≤ t) for Student's t with `df` (> 0, not necessarily whole) degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** The t value with P(T ≤ t) = p (bisection on the CDF; exact to ~1e-12). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Regularised incomplete gamma, lower P(a, x) and upper Q(a, x) = 1 − P: the series for
 * x < a + 1, else the continued fraction. Both are returned so a tail is never computed
 * as 1 − (something close to 1), which would lose its significant digits.
 */
function regularizedGamma(a: number, x: number): { p: number; q: number } {
  if (x <= 0) return { p: 0, q: 1 };
  const lnFront = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let ap = a;
    let sum = 1 / a;
    let del = sum;
    for (let n = 0; n < 10_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    const p = sum * Math.exp(lnFront);
    return { p, q: 1 - p };
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  const q = Math.exp(lnFront) * h;
  return { p: 1 - q, q };
}

/** Standard normal CDF Φ(z), through erf(|x|) = P(½, x²) and erfc(|x|) = Q(½, x²). */
export function normalCdf(z: number): number {
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  const x = z / Math.SQRT2;
  const g = regularizedGamma(0.5, x * x);
  return z >= 0 ? 0.5 * (1 + g.p) : 0.5 * g.q;
}

// ---------------------------------------------------------------- tests and intervals

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
  if (baseline.n < 2 || candidate.n < 2 || baseline.variance === null || candidate.variance === null) {
    out.note = 'insufficient data: the test needs at least 2 scores per side';
    return out;
  }
  const vb = Math.max(0, baseline.variance) / baseline.n;
  const vc = Math.max(0, candidate.variance) / candidate.n;
  const se = Math.sqrt(vb + vc);
  if (se === 0) {
    out.difference_ci95 = [out.difference, out.difference];
    if (out.difference === 0) {
      out.note = 'no variance and equal means: the test is undefined';
    } else {
      out.p_value = out.difference < 0 ? 0 : 1;
      out.regression = out.difference < 0;
      out.note = 'no variance on either side: t is infinite, p is its limit';
    }
    return out;
  }
  const df = (vb + vc) ** 2 / (vb ** 2 / (baseline.n - 1) + vc ** 2 / (candidate.n - 1));
  const t = out.difference / se;
  const half = studentTQuantile(0.975, df) * se;
  out.t = t;
  out.df = df;
  out.p_value = studentTCdf(t, df);
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
  if (baseline.judged > 0) out.baseline_pass_rate = baseline.passed / baseline.judged;
  if (candidate.judged > 0) out.candidate_pass_rate = candidate.passed / candidate.judged;
  if (out.baseline_pass_rate === null || out.candidate_pass_rate === null) {
    out.note = 'insufficient data: one side has no pass/fail verdicts';
    return out;
  }
  out.difference = out.candidate_pass_rate - out.baseline_pass_rate;
  const pooled = (baseline.passed + candidate.passed) / (baseline.judged + candidate.judged);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / baseline.judged + 1 / candidate.judged));
  if (se === 0) {
    out.note = 'every verdict is the same on both sides: no difference to test';
    return out;
  }
  out.z = out.difference / se;
  out.p_value = normalCdf(out.z);
  out.regression = out.p_value < alpha;
  return out;
}
