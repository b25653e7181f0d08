import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { twoProportionZTest, welchTTest } from './stats.ts';

// Reference values computed with scipy 1.17 (scipy.stats.ttest_ind(equal_var=False,
// alternative='less')). The distribution functions are tested in ../core/statistics.test.ts.
const close = (actual: number | null, expected: number, tol: number, what: string) => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
};

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
