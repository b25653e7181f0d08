import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanCi95, twoProportionOneSided, welchOneSided, type SampleSummary } from './quality-stats.ts';

/**
 * Reference values computed with SciPy 1.17 (scipy.stats.t / norm / ttest_ind). The
 * distribution functions are tested in ../core/statistics.test.ts.
 */
function close(actual: number | null, expected: number, tol: number, what: string): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} ± ${tol}`);
}

function summary(xs: number[]): SampleSummary {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) : null;
  return { n, mean, variance };
}

describe('Welch one-sided t-test', () => {
  const baseline = summary([0.9, 0.8, 0.85, 0.95, 0.7, 0.9, 0.88, 0.92]);
  const worse = summary([0.6, 0.7, 0.65, 0.5, 0.75, 0.55]);

  it('flags a clear regression with SciPy’s t, df, p and interval', () => {
    const r = welchOneSided(baseline, worse);
    assert.equal(r.test, 'welch_t_one_sided');
    assert.equal(r.alpha, 0.05);
    close(r.t, -5.002640264210409, 1e-9, 't');
    close(r.df, 9.849432083949015, 1e-9, 'df');
    close(r.p_value, 0.0002802197012868249, 1e-12, 'p');
    close(r.difference, 0.625 - 0.8625, 1e-12, 'difference');
    close(r.difference_ci95?.[0] ?? null, -0.3435003388091008, 1e-9, 'ci low');
    close(r.difference_ci95?.[1] ?? null, -0.13149966119089931, 1e-9, 'ci high');
    assert.equal(r.regression, true);
  });

  it('does not flag a difference that is noise', () => {
    const r = welchOneSided(summary([0.8, 0.82, 0.79, 0.81]), summary([0.8, 0.83, 0.78, 0.8, 0.81]));
    close(r.t, -0.09637388493049628, 1e-9, 't');
    close(r.df, 6.950941636315181, 1e-9, 'df');
    close(r.p_value, 0.4629716879371112, 1e-10, 'p');
    assert.equal(r.regression, false);
  });

  it('an improvement is never a regression (one-sided)', () => {
    const r = welchOneSided(worse, baseline);
    assert.ok(r.p_value !== null && r.p_value > 0.99);
    assert.equal(r.regression, false);
  });

  it('needs two scores per side, and says so', () => {
    const r = welchOneSided(baseline, summary([0.1]));
    assert.equal(r.p_value, null);
    assert.equal(r.regression, false);
    assert.match(r.note ?? '', /at least 2/);
    const none = welchOneSided(baseline, { n: 0, mean: null, variance: null });
    assert.equal(none.difference, null);
    assert.match(none.note ?? '', /no scores/);
  });

  it('without variance on either side takes the limit of p, and is undefined for equal means', () => {
    const r = welchOneSided(summary([1, 1, 1]), summary([0, 0, 0]));
    assert.equal(r.p_value, 0);
    assert.equal(r.t, null);
    assert.equal(r.regression, true);
    const same = welchOneSided(summary([1, 1]), summary([1, 1, 1]));
    assert.equal(same.p_value, null);
    assert.equal(same.regression, false);
  });
});

describe('95 % confidence interval of a mean', () => {
  it('matches scipy.stats.t.interval', () => {
    const ci = meanCi95(summary([0.9, 0.8, 0.85, 0.95, 0.7, 0.9, 0.88, 0.92]));
    close(ci?.[0] ?? null, 0.7958051991515666, 1e-9, 'low');
    close(ci?.[1] ?? null, 0.9291948008484335, 1e-9, 'high');
  });

  it('is null below two observations', () => {
    assert.equal(meanCi95({ n: 1, mean: 0.5, variance: null }), null);
  });
});

describe('two-proportion one-sided z-test', () => {
  it('flags 80 % → 60 % pass rate on 100 each (z = −3.086, p = 0.00101)', () => {
    const r = twoProportionOneSided({ passed: 80, judged: 100 }, { passed: 60, judged: 100 });
    assert.equal(r.test, 'two_proportion_z_one_sided');
    close(r.z, -3.086066999241839, 1e-12, 'z');
    close(r.p_value, 0.0010141155742260373, 1e-14, 'p');
    close(r.difference, -0.2, 1e-12, 'difference');
    assert.equal(r.regression, true);
  });

  it('does not flag equal rates, and is undefined when every verdict agrees', () => {
    const r = twoProportionOneSided({ passed: 8, judged: 10 }, { passed: 16, judged: 20 });
    close(r.z, 0, 1e-12, 'z');
    close(r.p_value, 0.5, 1e-12, 'p');
    assert.equal(r.regression, false);
    const all = twoProportionOneSided({ passed: 5, judged: 5 }, { passed: 7, judged: 7 });
    assert.equal(all.p_value, null);
    assert.equal(all.regression, false);
    const none = twoProportionOneSided({ passed: 0, judged: 0 }, { passed: 7, judged: 7 });
    assert.match(none.note ?? '', /insufficient/);
  });
});
