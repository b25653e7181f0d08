import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSampler, rateSampled, sampleUnit } from './sampling.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1, 10);
const ids = Array.from({ length: 100_000 }, (_, i) => `trace-${i}`);

describe('rate sampling', () => {
  it('samples each rate within 1% over 100k ids', () => {
    for (const rate of [0.001, 0.01, 0.1, 0.25, 0.5, 0.9]) {
      const share = ids.filter((id) => rateSampled('rule-a', id, rate)).length / ids.length;
      assert.ok(Math.abs(share - rate) <= 0.01, `rate ${rate}: sampled ${share}`);
      assert.ok(Math.abs(share - rate) <= 0.01 * rate || rate < 0.25, `rate ${rate}: relative error ${Math.abs(share - rate) / rate}`);
    }
  });

  it('is identical on replay, and independent across rules', () => {
    const first = ids.filter((id) => rateSampled('rule-a', id, 0.1));
    const replay = ids.filter((id) => rateSampled('rule-a', id, 0.1));
    assert.deepEqual(replay, first);
    const other = new Set(ids.filter((id) => rateSampled('rule-b', id, 0.1)));
    const both = first.filter((id) => other.has(id)).length / ids.length;
    assert.ok(Math.abs(both - 0.01) < 0.002, `overlap ${both} should be about 0.1 × 0.1`);
  });

  it('pins the hash: the same (rule, trace) gives the same number in every process', () => {
    const u = sampleUnit('rule-a', 'trace-0');
    assert.ok(u >= 0 && u < 1);
    assert.equal(sampleUnit('rule-a', 'trace-0'), u);
    assert.equal(rateSampled('r', 'x', 0), false);
    assert.equal(rateSampled('r', 'x', 1), true);
  });

  it('a higher rate samples a superset (raising a rate keeps what was already evaluated)', () => {
    const low = ids.slice(0, 5000).filter((id) => rateSampled('r', id, 0.05));
    for (const id of low) assert.ok(rateSampled('r', id, 0.2));
  });
});

describe('stratum minimum per (feature, prompt_version) per hour', () => {
  const rule = { name: 'r', sample_rate: 0, stratum_min_per_hour: 5 };
  const trace = (i: number, over: Partial<{ feature: string; prompt_version: string; timestamp: number }> = {}) => ({
    trace_id: `t-${i}`,
    feature: 'chat',
    prompt_version: 'v9',
    timestamp: T0,
    ...over,
  });

  it('takes the first N traces of each stratum each hour, then only the rate', () => {
    const s = createSampler();
    const decisions = Array.from({ length: 12 }, (_, i) => s.decide(rule, trace(i)));
    assert.deepEqual(decisions.slice(0, 5), Array(5).fill('stratum_min'));
    assert.deepEqual(decisions.slice(5), Array(7).fill(null));
    assert.equal(s.decide(rule, trace(100, { prompt_version: 'v10' })), 'stratum_min', 'another prompt version is its own stratum');
    assert.equal(s.decide(rule, trace(101, { feature: 'other' })), 'stratum_min', 'another feature is its own stratum');
    assert.equal(s.decide(rule, trace(102, { timestamp: T0 + HOUR })), 'stratum_min', 'the next hour starts over');
    assert.equal(s.count('r', 'chat', 'v9', T0), 5);
  });

  it('rate-sampled traces count toward the minimum; the rate part is never reduced', () => {
    const s = createSampler();
    const r = { name: 'r', sample_rate: 0.3, stratum_min_per_hour: 20 };
    const n = 2000;
    const decisions = Array.from({ length: n }, (_, i) => s.decide(r, trace(i)));
    const byRate = decisions.filter((d) => d === 'rate').length;
    const byMin = decisions.filter((d) => d === 'stratum_min').length;
    const expectedRate = Array.from({ length: n }, (_, i) => rateSampled('r', `t-${i}`, 0.3)).filter(Boolean).length;
    assert.equal(byRate, expectedRate, 'exactly the rate-sampled traces');
    // Until the stratum has 20 evaluations every trace is taken (by rate or as an extra);
    // after that only the rate samples.
    assert.ok(decisions.slice(0, 20).every((d) => d !== null));
    assert.ok(decisions.slice(20).every((d) => d !== 'stratum_min'));
    assert.equal(byMin, decisions.slice(0, 20).filter((d) => d === 'stratum_min').length);
    assert.ok(byMin > 0 && byMin < 20);
  });

  it('after a restart (fresh state) the minimum may be exceeded, never undershot; a replay in a fresh process is identical', () => {
    const before = createSampler();
    for (let i = 0; i < 10; i++) before.decide(rule, trace(i));
    const after = createSampler(); // the restart: counts gone
    const again = Array.from({ length: 10 }, (_, i) => after.decide(rule, trace(10 + i))).filter(Boolean).length;
    assert.equal(again, 5, 'the hour gets up to 5 more: 10 in total, at least the minimum');
    const replayA = createSampler();
    const replayB = createSampler();
    const run = (s: ReturnType<typeof createSampler>) => Array.from({ length: 50 }, (_, i) => s.decide({ ...rule, sample_rate: 0.2 }, trace(i)));
    assert.deepEqual(run(replayA), run(replayB));
  });

  it('keeps counters for a bounded number of hours', () => {
    const s = createSampler({ keepHours: 2 });
    for (let h = 0; h < 10; h++) s.decide(rule, trace(h, { timestamp: T0 + h * HOUR }));
    assert.ok(s.size() <= 3, `size ${s.size()}`);
  });
});
