/**
 * The statistics of "is the candidate worse than the baseline?", pure and dependency-free.
 * Both tests are one-sided (H1: the candidate is lower); a p-value below alpha (0.05 by
 * default) is a significant regression.
 *
 * - Pass rates: two-proportion z-test with the pooled proportion,
 *     p̂ = (x_b + x_c) / (n_b + n_c),  z = (p_c − p_b) / √(p̂(1−p̂)(1/n_b + 1/n_c)),  p = Φ(z).
 * - Means: Welch's t-test (unequal variances),
 *     t = (m_c − m_b) / √(s²_c/n_c + s²_b/n_b),  df by Welch–Satterthwaite,  p = F_t(t; df).
 */

/** Standard normal CDF Φ(x) (Hart 1968 / West 2005; double precision). */
export function normalCdf(x: number): number {
  const a = Math.abs(x);
  let c: number;
  if (a > 37) c = 0;
  else {
    const e = Math.exp((-a * a) / 2);
    if (a < 7.07106781186547) {
      let n = 3.52624965998911e-2 * a + 0.700383064443688;
      n = n * a + 6.37396220353165;
      n = n * a + 33.912866078383;
      n = n * a + 112.079291497871;
      n = n * a + 221.213596169931;
      n = n * a + 220.206867912376;
      let d = 8.83883476483184e-2 * a + 1.75566716318264;
      d = d * a + 16.064177579207;
      d = d * a + 86.7807322029461;
      d = d * a + 296.564248779674;
      d = d * a + 637.333633378831;
      d = d * a + 793.826512519948;
      d = d * a + 440.413735824752;
      c = (e * n) / d;
    } else {
      let b = a + 0.65;
      b = a + 4 / b;
      b = a + 3 / b;
      b = a + 2 / b;
      b = a + 1 / b;
      c = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - c : c;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
export function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let s = g[0];
  for (let i = 1; i < 9; i++) s += g[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
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
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Student t CDF with `df` (> 0, not necessarily whole) degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

export interface TestResult {
  /** The statistic (z or t); null when the test does not apply (too little data). */
  statistic: number | null;
  /** One-sided p-value for "candidate lower than baseline"; null when the test does not apply. */
  pValue: number | null;
  /** candidate − baseline. */
  diff: number;
  df?: number;
  note?: string;
}

export interface Proportion {
  passed: number;
  n: number;
}

export function twoProportionZTest(baseline: Proportion, candidate: Proportion): TestResult {
  if (baseline.n === 0 || candidate.n === 0) return { statistic: null, pValue: null, diff: Number.NaN, note: 'no pass/fail results on one side' };
  const pb = baseline.passed / baseline.n;
  const pc = candidate.passed / candidate.n;
  const pooled = (baseline.passed + candidate.passed) / (baseline.n + candidate.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / baseline.n + 1 / candidate.n));
  // pooled 0 or 1: both sides all-fail or all-pass, so they cannot differ.
  if (se === 0) return { statistic: 0, pValue: 1, diff: pc - pb, note: 'identical all-pass or all-fail' };
  const z = (pc - pb) / se;
  return { statistic: z, pValue: normalCdf(z), diff: pc - pb };
}

export interface Moments {
  mean: number;
  /** Sample variance (n − 1 denominator). */
  variance: number;
  n: number;
}

export function welchTTest(baseline: Moments, candidate: Moments): TestResult {
  const diff = candidate.mean - baseline.mean;
  if (baseline.n < 2 || candidate.n < 2) return { statistic: null, pValue: null, diff, note: 'needs at least 2 values on each side' };
  const vb = baseline.variance / baseline.n;
  const vc = candidate.variance / candidate.n;
  const se = Math.sqrt(vb + vc);
  if (se === 0) return { statistic: null, pValue: diff < 0 ? 0 : 1, diff, note: 'no variance on either side' };
  const t = diff / se;
  const df = (vb + vc) ** 2 / (vc ** 2 / (candidate.n - 1) + vb ** 2 / (baseline.n - 1));
  return { statistic: t, pValue: studentTCdf(t, df), diff, df };
}
