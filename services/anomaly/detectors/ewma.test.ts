import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ewma } from './ewma.ts';
import { gaussian, rng } from '../../../test/support/anomaly/random-draws.ts';
import { step } from './types.ts';

describe('ewma chart', () => {
  it('catches a sustained 1.5 σ shift that no single point shows, and not the noise before it', () => {
    const g = gaussian(rng(5));
    let s = ewma.init({ direction: 'up', limit: 5, known: { mean: 0, sd: 1 }, warmup: 0 });
    const flags: boolean[] = [];
    for (let i = 0; i < 600; i++) {
      const r = step(ewma, s, { index: i, value: (i >= 500 ? 1.5 : 0) + g() });
      s = r.state;
      flags.push(r.result.anomalous);
    }
    assert.equal(flags.slice(0, 500).filter(Boolean).length, 0);
    const first = flags.findIndex((f, i) => i >= 500 && f);
    assert.ok(first > 500 && first < 540, `detected at ${first}`);
  });

  it('learns mean and sd when not given, and ignores the harmless direction', () => {
    const g = gaussian(rng(6));
    let s = ewma.init({ direction: 'up', limit: 5, warmup: 50 });
    for (let i = 0; i < 300; i++) s = step(ewma, s, { index: i, value: 200 + 10 * g() }).state;
    assert.ok(Math.abs(s.mean - 200) < 3, `mean ${s.mean}`);
    assert.ok(Math.abs(Math.sqrt(s.variance) - 10) < 3, `sd ${Math.sqrt(s.variance)}`);
    let down = false;
    for (let i = 300; i < 340; i++) {
      const r = step(ewma, s, { index: i, value: 150 });
      s = r.state;
      down ||= r.result.anomalous;
    }
    assert.equal(down, false, 'a drop is harmless for direction up');
  });

  it('one clipped spike moves the chart by at most α·clip', () => {
    const s = ewma.init({ direction: 'up', limit: 5, known: { mean: 0, sd: 1 }, warmup: 0, clip: 2.5 });
    const r = ewma.judge(s, { index: 0, value: 1000 });
    assert.ok(Math.abs(r.deviation - (0.1 * 2.5) / Math.sqrt(0.1 / 1.9)) < 1e-9);
    assert.equal(r.anomalous, false);
  });

  it('not ready during warm-up', () => {
    const s = ewma.init({ direction: 'both', limit: 5, warmup: 10 });
    assert.equal(ewma.judge(s, { index: 0, value: 1 }).ready, false);
  });
});
