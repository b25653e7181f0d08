import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cusum, cusumStatus } from './cusum.ts';
import { gaussian, rng } from '../../../test/support/anomaly/random-draws.ts';
import { step } from './types.ts';

describe('cusum', () => {
  it('detects a slow linear drift that never exceeds 3 σ in a single point', () => {
    const g = gaussian(rng(7));
    let s = cusum.init({ direction: 'up', h: 8, k: 0.5, known: { mean: 0, sd: 1 } });
    let detectedAt = -1;
    for (let i = 0; i < 400; i++) {
      const drift = i >= 200 ? (i - 200) * 0.01 : 0; // reaches 2 σ after 200 points
      const r = step(cusum, s, { index: i, value: drift + g() });
      s = r.state;
      if (i < 200) assert.equal(r.result.anomalous, false, `false alarm at ${i}`);
      if (r.result.anomalous && detectedAt < 0) detectedAt = i;
    }
    assert.ok(detectedAt > 200 && detectedAt < 350, `detected at ${detectedAt}`);
  });

  it('learns the in-control level when not given, then flags a downward drift for direction down', () => {
    const g = gaussian(rng(8));
    let s = cusum.init({ direction: 'down', h: 5, warmup: 50 });
    for (let i = 0; i < 50; i++) s = step(cusum, s, { index: i, value: 10 + g() }).state;
    let flagged = false;
    for (let i = 50; i < 80; i++) {
      const r = step(cusum, s, { index: i, value: 8.5 + g() });
      s = r.state;
      flagged ||= r.result.anomalous;
    }
    assert.ok(flagged);
    assert.ok(cusumStatus(s).deviation < 0);
  });

  it('caps the sum so the alarm clears soon after the drift ends', () => {
    let s = cusum.init({ direction: 'up', h: 8, k: 0.5, known: { mean: 0, sd: 1 }, cap: 1.5, clip: 6 });
    for (let i = 0; i < 100; i++) s = step(cusum, s, { index: i, value: 5 }).state;
    assert.equal(s.hi, 12);
    let cleared = -1;
    for (let i = 100; i < 200 && cleared < 0; i++) {
      const r = step(cusum, s, { index: i, value: 0 });
      s = r.state;
      if (!r.result.anomalous) cleared = i - 100;
    }
    assert.ok(cleared >= 0 && cleared <= 9, `cleared after ${cleared}`);
  });
});
