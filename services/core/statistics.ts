/**
 * The statistics of "is the candidate worse than the baseline?", pure and dependency-free,
 * shared by the offline evaluator (services/evaluator/stats.ts) and the quality API
 * (services/query/quality-stats.ts), which adapt the results to their own output shapes.
 *
 * Distributions: ln Γ, the regularised incomplete beta and gamma functions, Student's t
 * (CDF, quantile) and the standard normal CDF.
 *
 * Both tests are one-sided, H1: the candidate is lower than the baseline.
 * - Means: Welch's t-test (unequal variances),
 *     t = (m_c − m_b) / √(s²_c/n_c + s²_b/n_b),  df by Welch–Satterthwaite,  p = F_t(t; df).
 * - Pass rates: two-proportion z-test with the pooled proportion,
 *     p̂ = (x_b + x_c) / (n_b + n_c),  z = (p_c − p_b) / √(p̂(1−p̂)(1/n_b + 1/n_c)),  p = Φ(z).
 */

// ---------------------------------------------------------------- special functions

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
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

/**
 * P(T ≤ t) for Student's t with `df` (> 0, not necessarily whole) degrees of freedom.
 * A non-finite t gives its limit (and NaN, which is not > 0, gives 0).
 */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
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

// ---------------------------------------------------------------- one-sided tests

/** Sufficient statistics of one side for Welch's test. */
export interface Moments {
  mean: number;
  /** Sample variance (n − 1 denominator). */
  variance: number;
  n: number;
}

/** Welch's t-test, one-sided (H1: candidate mean < baseline mean). */
export type WelchOutcome =
  /** A side has fewer than 2 values: the test does not apply. */
  | { kind: 'too_few'; difference: number }
  /**
   * Neither side varies: t is ±∞ and `pValue` is its limit, 0 for a lower candidate and
   * 1 otherwise (for equal means t is 0/0; callers decide how to report that).
   */
  | { kind: 'no_variance'; difference: number; pValue: 0 | 1 }
  | { kind: 'tested'; difference: number; t: number; df: number; /** Standard error of the difference. */ se: number; pValue: number };

export function welchTTestOneSided(baseline: Moments, candidate: Moments): WelchOutcome {
  const difference = candidate.mean - baseline.mean;
  if (baseline.n < 2 || candidate.n < 2) return { kind: 'too_few', difference };
  const vb = baseline.variance / baseline.n;
  const vc = candidate.variance / candidate.n;
  const se = Math.sqrt(vb + vc);
  if (se === 0) return { kind: 'no_variance', difference, pValue: difference < 0 ? 0 : 1 };
  const t = difference / se;
  const df = (vb + vc) ** 2 / (vb ** 2 / (baseline.n - 1) + vc ** 2 / (candidate.n - 1));
  return { kind: 'tested', difference, t, df, se, pValue: studentTCdf(t, df) };
}

/** Passes out of pass/fail verdicts. */
export interface Proportion {
  passed: number;
  n: number;
}

/** Pooled two-proportion z-test, one-sided (H1: candidate pass rate < baseline pass rate). */
export type ProportionOutcome =
  /** A side has no verdicts: the test does not apply (the rate of the other side may be known). */
  | { kind: 'empty_side'; baselineRate: number | null; candidateRate: number | null }
  /** Every verdict is the same on both sides (pooled rate 0 or 1): nothing to test. */
  | { kind: 'no_variance'; baselineRate: number; candidateRate: number; difference: number }
  | { kind: 'tested'; baselineRate: number; candidateRate: number; difference: number; z: number; pValue: number };

export function twoProportionZTestOneSided(baseline: Proportion, candidate: Proportion): ProportionOutcome {
  const baselineRate = baseline.n > 0 ? baseline.passed / baseline.n : null;
  const candidateRate = candidate.n > 0 ? candidate.passed / candidate.n : null;
  if (baselineRate === null || candidateRate === null) return { kind: 'empty_side', baselineRate, candidateRate };
  const difference = candidateRate - baselineRate;
  const pooled = (baseline.passed + candidate.passed) / (baseline.n + candidate.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / baseline.n + 1 / candidate.n));
  if (se === 0) return { kind: 'no_variance', baselineRate, candidateRate, difference };
  const z = difference / se;
  return { kind: 'tested', baselineRate, candidateRate, difference, z, pValue: normalCdf(z) };
}
