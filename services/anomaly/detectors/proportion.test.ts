import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proportion, type ProportionParams, type ProportionState } from './proportion.ts';
import { binomial, rng } from '../../../test/support/anomaly/random-draws.ts';
import { step } from './types.ts';

function warm(params: ProportionParams, n: number, p: number, minutes: number, seed: number): ProportionState {
  const r = rng(seed);
  let s = proportion.init(params);
  for (let i = 0; i < minutes; i++) {
    const x = binomial(r, n, p);
    s = step(proportion, s, { index: i, value: x / n, successes: x, trials: n }).state;
  }
  return s;
}

describe('proportion test', () => {
  it('uses the exact binomial tail: 0 errors is unremarkable, many errors are extreme', () => {
    const s = warm({ direction: 'up', threshold: 5 }, 20, 0.005, 300, 9);
    const zero = proportion.judge(s, { index: 300, value: 0, successes: 0, trials: 20 });
    assert.ok(Math.abs(zero.deviation) < 0.5, `z of 0/20 = ${zero.deviation}`);
    assert.equal(zero.anomalous, false);
    const burst = proportion.judge(s, { index: 300, value: 8 / 20, successes: 8, trials: 20 });
    assert.equal(burst.anomalous, true);
    assert.ok(burst.deviation > 6, `z of 8/20 = ${burst.deviation}`);
  });

  it('is volume aware: 2 errors of 4 is weak evidence, 200 of 400 is not', () => {
    const s = warm({ direction: 'up', threshold: 5, pool: 1 }, 100, 0.01, 300, 10);
    assert.equal(proportion.judge(s, { index: 300, value: 0.5, successes: 2, trials: 4 }).anomalous, false);
    assert.equal(proportion.judge(s, { index: 300, value: 0.5, successes: 200, trials: 400 }).anomalous, true);
  });

  it('pools the last minutes for low volumes, but only while the current minute shows the effect', () => {
    const r = rng(11);
    let s = warm({ direction: 'up', threshold: 5 }, 25, 0.005, 600, 12);
    const flags: boolean[] = [];
    for (let i = 600; i < 610; i++) {
      const x = binomial(r, 25, 0.08);
      const res = step(proportion, s, { index: i, value: x / 25, successes: x, trials: 25 });
      s = res.state;
      flags.push(res.result.anomalous);
    }
    assert.ok(flags.filter(Boolean).length >= 5, `flags ${flags}`);
    // a clean minute right after is not anomalous, though the pool still holds the burst
    const clean = proportion.judge(s, { index: 610, value: 0, successes: 0, trials: 25 });
    assert.equal(clean.anomalous, false);
  });

  it('requires a minimum effect: a significant but tiny change on huge volume is not an incident', () => {
    const s = warm({ direction: 'up', threshold: 5, minAbsEffect: 0.02, minRelEffect: 1 }, 10_000, 0.01, 300, 13);
    const r = proportion.judge(s, { index: 300, value: 0.013, successes: 130, trials: 10_000 });
    assert.ok(r.deviation > 2);
    assert.equal(r.anomalous, false);
    assert.ok(r.score < 0.5);
  });

  it('direction down with estimated dispersion catches a drop of mean scores', () => {
    const r = rng(14);
    let s = proportion.init({ direction: 'down', threshold: 5, dispersion: 'estimated', minAbsEffect: 0.05, minRelEffect: 0 });
    const minute = (i: number, mean: number) => {
      let sum = 0;
      for (let k = 0; k < 10; k++) sum += Math.min(1, Math.max(0, mean + 0.05 * (r() + r() + r() - 1.5) * 2));
      return { index: i, value: sum / 10, successes: sum, trials: 10 };
    };
    for (let i = 0; i < 300; i++) s = step(proportion, s, minute(i, 0.9)).state;
    assert.ok(s.phi < 0.3, `scores vary far less than Bernoulli: φ = ${s.phi}`);
    assert.equal(proportion.judge(s, minute(300, 0.9)).anomalous, false);
    assert.equal(proportion.judge(s, minute(300, 0.75)).anomalous, true);
    assert.equal(proportion.judge(s, minute(300, 0.99)).anomalous, false, 'a rise is harmless for direction down');
  });

  it('floors the baseline rate so the first error of a series that never failed is not an alarm', () => {
    const s = warm({ direction: 'up', threshold: 5 }, 50, 0, 300, 15);
    assert.equal(proportion.judge(s, { index: 300, value: 1 / 50, successes: 1, trials: 50 }).anomalous, false);
  });
});
