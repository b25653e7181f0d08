import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  lnGamma,
  normalCdf,
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
  twoProportionZTestOneSided,
  welchTTestOneSided,
} from './statistics.ts';

// Reference values computed with SciPy 1.17 (scipy.stats.norm.cdf, scipy.stats.t.cdf / ppf,
// scipy.special.gammaln, scipy.stats.beta.cdf, scipy.stats.ttest_ind(equal_var=False,
// alternative='less')).
function close(actual: number | null, expected: number, tol: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} ± ${tol}`);
}

describe('special functions', () => {
  it('ln Γ matches known values', () => {
    close(lnGamma(0.3), 1.0957979948180752, 1e-12, 'lnΓ(0.3)');
    close(lnGamma(10.5), 13.940625219403763, 1e-12, 'lnΓ(10.5)');
    close(lnGamma(171.2), 707.6009268476702, 1e-9, 'lnΓ(171.2)');
  });

  it('regularised incomplete beta matches the Beta CDF', () => {
    close(regularizedBeta(0.3, 2.5, 0.5), 0.018927124071945658, 1e-12, 'I_0.3(2.5, 0.5)');
  });
});

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

  it('is exact to ~1e-14, and keeps the relative precision of a far tail', () => {
    close(normalCdf(-1.959963984540054), 0.025, 1e-14, 'Φ(-1.96)');
    close(normalCdf(-2), 0.022750131948179195, 1e-14, 'Φ(-2)');
    close(normalCdf(0.5), 0.6914624612740131, 1e-14, 'Φ(0.5)');
    close(normalCdf(3.2), 0.9993128620620841, 1e-14, 'Φ(3.2)');
    close(normalCdf(-0.1), 0.460172162722971, 1e-14, 'Φ(-0.1)');
    close(normalCdf(-6), 9.865876450376946e-10, 1e-20, 'Φ(-6)');
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

  it('is exact to ~1e-12, including fractional degrees of freedom and far tails', () => {
    close(studentTCdf(-2.0, 10), 0.03669401738537018, 1e-12, 't(-2, 10)');
    close(studentTCdf(1.5, 3.7), 0.8932009153989933, 1e-12, 't(1.5, 3.7)');
    close(studentTCdf(-0.3, 1), 0.4072264209222577, 1e-12, 't(-0.3, 1)');
    close(studentTCdf(3.0, 2.5), 0.9637119522254841, 1e-12, 't(3, 2.5)');
    close(studentTCdf(-40, 3), 1.7190340394579253e-5, 1e-15, 't(-40, 3)');
    close(studentTCdf(-7.5, 250.3), 5.54395550654836e-13, 1e-18, 't(-7.5, 250.3)');
  });
});

describe('studentTQuantile', () => {
  it('matches scipy.stats.t.ppf', () => {
    close(studentTQuantile(0.975, 10), 2.228138851986274, 1e-10, 'q(0.975, 10)');
    close(studentTQuantile(0.975, 1), 12.706204736174694, 1e-9, 'q(0.975, 1)');
    close(studentTQuantile(0.975, 29), 2.045229642132703, 1e-10, 'q(0.975, 29)');
    close(studentTQuantile(0.975, 1000), 1.9623390808264083, 1e-10, 'q(0.975, 1000)');
    close(studentTQuantile(0.975, 4.5), 2.6589123472044034, 1e-10, 'q(0.975, 4.5)');
    close(studentTQuantile(0.025, 2.5), -3.5746548420036817, 1e-10, 'q(0.025, 2.5)');
  });
});

describe('welchTTestOneSided (H1: candidate lower)', () => {
  it('matches scipy.stats.ttest_ind(equal_var=False, alternative="less")', () => {
    // Wikipedia "Welch's t-test", sample sets A1 (candidate, n 10) / A2 (baseline, n 20).
    const r = welchTTestOneSided({ mean: 21.589999999999996, variance: 17.00305263157895, n: 20 }, { mean: 19.369999999999997, variance: 1.4489999999999996, n: 10 });
    assert.equal(r.kind, 'tested');
    if (r.kind !== 'tested') return;
    close(r.t, -2.225512039969852, 1e-9, 't');
    close(r.df, 24.524634944257343, 1e-9, 'df');
    close(r.pValue, 0.017742265415005197, 1e-9, 'p');
    close(r.se, (19.369999999999997 - 21.589999999999996) / r.t, 1e-12, 'se');
  });

  it('does not apply below 2 values a side; without variance p is the limit of t = ±∞', () => {
    assert.deepEqual(welchTTestOneSided({ mean: 1, variance: 0, n: 1 }, { mean: 0, variance: 0, n: 5 }), { kind: 'too_few', difference: -1 });
    assert.deepEqual(welchTTestOneSided({ mean: 1, variance: 0, n: 5 }, { mean: 0.5, variance: 0, n: 5 }), { kind: 'no_variance', difference: -0.5, pValue: 0 });
    assert.deepEqual(welchTTestOneSided({ mean: 0.5, variance: 0, n: 5 }, { mean: 1, variance: 0, n: 5 }), { kind: 'no_variance', difference: 0.5, pValue: 1 });
  });
});

describe('twoProportionZTestOneSided (H1: candidate lower)', () => {
  it('80 % → 60 % on 100 each: z = −3.086, p = 0.00101', () => {
    const r = twoProportionZTestOneSided({ passed: 80, n: 100 }, { passed: 60, n: 100 });
    assert.equal(r.kind, 'tested');
    if (r.kind !== 'tested') return;
    close(r.z, -3.086066999241839, 1e-12, 'z');
    close(r.pValue, 0.0010141155742260373, 1e-14, 'p');
    close(r.difference, -0.2, 1e-12, 'difference');
    assert.equal(r.baselineRate, 0.8);
    assert.equal(r.candidateRate, 0.6);
  });

  it('an empty side keeps the other side’s rate; identical all-pass is not testable', () => {
    assert.deepEqual(twoProportionZTestOneSided({ passed: 8, n: 10 }, { passed: 0, n: 0 }), { kind: 'empty_side', baselineRate: 0.8, candidateRate: null });
    assert.deepEqual(twoProportionZTestOneSided({ passed: 5, n: 5 }, { passed: 7, n: 7 }), { kind: 'no_variance', baselineRate: 1, candidateRate: 1, difference: 0 });
  });
});
