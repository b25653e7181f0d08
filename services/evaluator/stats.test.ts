import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalCdf, studentTCdf, twoProportionZTest, welchTTest } from './stats.ts';

// Reference values computed with scipy 1.17 (scipy.stats.norm.cdf, scipy.stats.t.cdf,
// scipy.stats.ttest_ind(equal_var=False, alternative='less')).
const close = (actual: number | null, expected: number, tol: number, what: string) => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
};

describe('normalCdf', () => {
  it('matches scipy.stats.norm.cdf', () => {
    const ref: [number, number][] = [
      [-3.5, 0.00023262907903552502],
      [-1.96, 0.024997895148220435],
      [-1, 0.15865525393145707],
      [0, 0.5],
      [0.5, 0.6914624612740131],
      [1.644854, 0.9500000384745869],
      [2.5, 0.9937903346742238],
      [8, 0.9999999999999993],
    ];
    for (const [x, p] of ref) close(normalCdf(x), p, 1e-12, `Φ(${x})`);
  });
});

describe('studentTCdf', () => {
  it('matches scipy.stats.t.cdf, including fractional degrees of freedom', () => {
    const ref: [number, number, number][] = [
      [-2.0, 10, 0.03669401738537018],
      [1.812461, 10, 0.949999989981125],
      [-2.228139, 10, 0.02499999372644127],
      [0.7, 3.5, 0.7361829288271606],
      [-1.3, 24.9, 0.1027534157990407],
      [-4, 2, 0.028595479208968315],
    ];
    for (const [t, df, p] of ref) close(studentTCdf(t, df), p, 1e-9, `T(${t}; ${df})`);
  });
});

describe('twoProportionZTest (one-sided: candidate lower)', () => {
  it('45/100 vs a 60/100 baseline is a significant drop: z = -2.124, p = 0.0168', () => {
    const r = twoProportionZTest({ passed: 60, n: 100 }, { passed: 45, n: 100 });
    close(r.statistic, -2.1239769762143657, 1e-12, 'z');
    close(r.pValue, 0.016836034428172927, 1e-12, 'p');
    close(r.diff, -0.15, 1e-12, 'diff');
  });
  it('an improvement has p > 0.5', () => {
    const r = twoProportionZTest({ passed: 45, n: 100 }, { passed: 60, n: 100 });
    assert.ok(r.pValue! > 0.98);
  });
  it('all-pass on both sides is no regression, and an empty side is not testable', () => {
    assert.equal(twoProportionZTest({ passed: 10, n: 10 }, { passed: 30, n: 30 }).pValue, 1);
    assert.equal(twoProportionZTest({ passed: 0, n: 0 }, { passed: 3, n: 5 }).pValue, null);
  });
});

describe('welchTTest (one-sided: candidate lower)', () => {
  // The classic Welch example (Wikipedia "Welch's t-test", sample sets A1/A2): candidate =
  // A1 (n 10), baseline = A2 (n 20). scipy: t = -2.2255, df = 24.52, p(less) = 0.01774.
  it('matches scipy.stats.ttest_ind(equal_var=False, alternative="less")', () => {
    const r = welchTTest({ mean: 21.589999999999996, variance: 17.00305263157895, n: 20 }, { mean: 19.369999999999997, variance: 1.4489999999999996, n: 10 });
    close(r.statistic, -2.225512039969852, 1e-9, 't');
    close(r.df ?? null, 24.524634944257343, 1e-9, 'df');
    close(r.pValue, 0.017742265415005197, 1e-9, 'p');
  });
  it('is not applicable with fewer than 2 values on a side; zero variance compares the means', () => {
    assert.equal(welchTTest({ mean: 1, variance: 0, n: 1 }, { mean: 0, variance: 0, n: 5 }).pValue, null);
    assert.equal(welchTTest({ mean: 1, variance: 0, n: 5 }, { mean: 0.5, variance: 0, n: 5 }).pValue, 0);
    assert.equal(welchTTest({ mean: 1, variance: 0, n: 5 }, { mean: 1, variance: 0, n: 5 }).pValue, 1);
  });
});
