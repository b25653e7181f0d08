import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLatencyHistogram, LATENCY_HISTOGRAM_ALPHA } from './latency-histogram.ts';
import { prng as rng } from '../../scripts/lib/prng.ts';

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

describe('latency histogram', () => {
  it('is empty at first', () => {
    const h = createLatencyHistogram();
    assert.equal(h.count, 0);
    assert.ok(Number.isNaN(h.quantile(0.95)));
  });

  it('returns a single value exactly and min / max exactly', () => {
    const h = createLatencyHistogram();
    h.add(812.5);
    assert.equal(h.quantile(0.5), 812.5);
    assert.equal(h.quantile(0.95), 812.5);
    h.add(3);
    assert.equal(h.quantile(0), 3);
    assert.equal(h.quantile(1), 812.5);
  });

  it('quantiles of lognormal latencies are within 1 % of the exact nearest-rank value', () => {
    const r = rng(7);
    const values: number[] = [];
    const h = createLatencyHistogram();
    for (let i = 0; i < 20_000; i++) {
      const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      const v = 400 * Math.exp(0.6 * z);
      values.push(v);
      h.add(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999]) {
      const exact = exactQuantile(values, q);
      const got = h.quantile(q);
      assert.ok(Math.abs(got - exact) / exact <= LATENCY_HISTOGRAM_ALPHA + 1e-9, `q=${q}: ${got} vs ${exact}`);
    }
  });

  it('covers a wide range (sub-ms to an hour) with the same relative accuracy', () => {
    const values = [0.2, 0.5, 1, 7, 45, 300, 2_000, 15_000, 120_000, 3_600_000];
    const h = createLatencyHistogram();
    for (const v of values) h.add(v);
    for (let i = 1; i < values.length - 1; i++) {
      const q = (i + 1) / values.length;
      const got = h.quantile(q);
      assert.ok(Math.abs(got - values[i]) / values[i] <= LATENCY_HISTOGRAM_ALPHA + 1e-9, `q=${q}: ${got} vs ${values[i]}`);
    }
  });

  it('merging equals adding everything to one histogram', () => {
    const r = rng(11);
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    const all = createLatencyHistogram();
    for (let i = 0; i < 5_000; i++) {
      const v = 50 + 5_000 * r() * r();
      (i % 3 === 0 ? a : b).add(v);
      all.add(v);
    }
    a.merge(b);
    assert.equal(a.count, all.count);
    for (const q of [0, 0.5, 0.95, 0.99, 1]) assert.equal(a.quantile(q), all.quantile(q));
  });

  it('counts zeros and ignores invalid values', () => {
    const h = createLatencyHistogram();
    for (const v of [0, 0, 0, 10]) h.add(v);
    for (const v of [-1, NaN, Infinity]) h.add(v);
    assert.equal(h.count, 4);
    assert.equal(h.quantile(0.5), 0);
    assert.equal(h.quantile(0.95), 10);
  });
});
