import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baselineBytes, robustBaseline, type BaselineParams, type BaselineState } from './robust-baseline.ts';
import { gaussian, rng } from '../../../test/support/anomaly/random-draws.ts';
import { step } from './types.ts';

const DAY = 1440;

function run(params: BaselineParams, values: (number | null)[]): { state: BaselineState; results: ReturnType<typeof robustBaseline.judge>[] } {
  let state = robustBaseline.init(params);
  const results = [];
  for (let i = 0; i < values.length; i++) {
    const r = step(robustBaseline, state, { index: i, value: values[i] });
    state = r.state;
    results.push(r.result);
  }
  return { state, results };
}

/** Daily sine rhythm (trough at night) with Gaussian noise. */
function daily(days: number, seed: number, noise = 3): number[] {
  const g = gaussian(rng(seed));
  return Array.from({ length: days * DAY }, (_, i) => 100 + 60 * Math.sin((2 * Math.PI * i) / DAY) + noise * g());
}

describe('robust baseline', () => {
  it('tail floor: on a mostly-zero series its ordinary bursts are not anomalies, a burst far beyond them is', () => {
    const r = rng(5);
    // 3 days: zero, with a 1-to-5 burst in ~1 % of minutes; then a burst of 400
    const values = Array.from({ length: 3 * DAY }, () => (r() < 0.01 ? 1 + Math.floor(r() * 5) : 0));
    values.push(400);
    const plain = run({ direction: 'up', threshold: 5 }, values).results;
    const floored = run({ direction: 'up', threshold: 5, tailFloor: 0.7 }, values).results;
    const lastDays = (rs: typeof plain): number => rs.slice(DAY, 3 * DAY).filter((x) => x.anomalous).length;
    const bursts = values.slice(DAY, 3 * DAY).filter((v) => v > 0).length;
    assert.ok(lastDays(plain) >= bursts * 0.9, `without the floor every burst is an anomaly (${lastDays(plain)} of ${bursts})`);
    assert.equal(lastDays(floored), 0);
    assert.ok(floored[floored.length - 1].anomalous, 'the 400 is');
  });

  it('tail floor changes nothing much on Gaussian noise (the floor is about σ)', () => {
    const values = daily(2, 8);
    const { results } = run({ direction: 'both', threshold: 5, tailFloor: 0.7, lags: [DAY] }, values);
    const last = results[results.length - 1];
    assert.ok(last.scale > 2 && last.scale < 4.5, `scale ${last.scale} for noise σ 3`);
  });

  it('is not ready without history and flags nothing while learning', () => {
    const { results } = run({ direction: 'up', threshold: 5 }, [1, 1000, 1]);
    assert.ok(results.every((r) => !r.anomalous && r.score === 0));
  });

  it('flags a spike in the harmful direction only, with a robust z', () => {
    const g = gaussian(rng(1));
    const values = Array.from({ length: 200 }, () => 50 + 2 * g());
    values[150] = 90; // +20 sd
    values[170] = 10; // −20 sd
    const up = run({ direction: 'up', threshold: 5 }, values).results;
    assert.equal(up[150].anomalous, true);
    assert.ok(up[150].deviation > 10, `z ${up[150].deviation}`);
    assert.ok(Math.abs(up[150].expected! - 50) < 2);
    assert.equal(up[170].anomalous, false, 'a drop is harmless for direction up');
    assert.equal(up[170].score, 0);
    const both = run({ direction: 'both', threshold: 5 }, values).results;
    assert.equal(both[170].anomalous, true);
    assert.ok(both[170].deviation < -10);
  });

  it('keeps anomalous points out of the baseline: a sustained shift stays anomalous', () => {
    const g = gaussian(rng(2));
    const values = Array.from({ length: 400 }, (_, i) => (i >= 200 ? 80 : 50) + 2 * g());
    const { results } = run({ direction: 'up', threshold: 5 }, values);
    // with the shifted values excluded, the expectation stays at the old level for the whole shift
    assert.ok(results.slice(200).every((r) => r.anomalous), 'every shifted point is anomalous');
    assert.ok(Math.abs(results[399].expected! - 50) < 2, `expected ${results[399].expected}`);
  });

  it('follows the daily shape once a day of history exists (no lag on the ramp)', () => {
    const values = daily(3, 3);
    const withSeason = run({ direction: 'both', threshold: 5, lags: [DAY] }, values).results;
    const without = run({ direction: 'both', threshold: 5 }, values).results;
    const day3 = (rs: typeof withSeason) => rs.slice(2 * DAY).map((r, i) => Math.abs(r.expected! - (100 + 60 * Math.sin((2 * Math.PI * (2 * DAY + i)) / DAY))));
    const meanErr = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(meanErr(day3(withSeason)) < 2, `seasonal error ${meanErr(day3(withSeason))}`);
    assert.ok(meanErr(day3(without)) > 5, `a plain rolling median lags the ramp (${meanErr(day3(without))})`);
    assert.equal(withSeason.slice(2 * DAY).filter((r) => r.anomalous).length, 0, 'no false alarm on the rhythm');
  });

  it('uses the week lag where day and week disagree (weekday/weekend transition)', () => {
    // weekdays at 100, weekends at 40, switching at midnight; 9 days of history
    const g = gaussian(rng(4));
    const level = (i: number) => (Math.floor(i / DAY) % 7 >= 5 ? 40 : 100);
    const values = Array.from({ length: 9 * DAY }, (_, i) => level(i) + 1.5 * g());
    const { results } = run({ direction: 'both', threshold: 5, lags: [DAY, 7 * DAY] }, values);
    // day 7 is a Monday after a weekend at 40: the day lag says 40, the week lag 100
    const monday = results.slice(7 * DAY, 7 * DAY + 30);
    assert.ok(monday.every((r) => Math.abs(r.expected! - 100) < 10), `expected ${monday.map((r) => r.expected!.toFixed(0)).join(',')}`);
    assert.equal(monday.filter((r) => r.anomalous).length, 0);
  });

  it('widens the scale for small volumes and keeps a Poisson floor for counts', () => {
    const values = Array.from({ length: 100 }, () => 10);
    let state = run({ direction: 'up', threshold: 5, volumeFloor: 1 }, values).state;
    const small = robustBaseline.judge(state, { index: 100, value: 20, volume: 4 });
    const large = robustBaseline.judge(state, { index: 100, value: 20, volume: 400 });
    assert.ok(small.scale >= 10 / 2 - 1e-9, `c·expected/√4 = 5, got ${small.scale}`);
    assert.equal(small.anomalous, false);
    assert.equal(large.anomalous, true);
    state = run({ direction: 'up', threshold: 5, countFloor: true }, values).state;
    assert.ok(robustBaseline.judge(state, { index: 100, value: 12 }).scale >= Math.sqrt(10) - 1e-9);
  });

  it('treats skipped slots as missing and ignores repeated slots', () => {
    let state = robustBaseline.init({ direction: 'up', threshold: 5 });
    for (let i = 0; i < 50; i++) state = step(robustBaseline, state, { index: i, value: 5 }).state;
    state = step(robustBaseline, state, { index: 60, value: 5 }).state;
    assert.ok(Number.isNaN(state.ring[55]));
    const again = robustBaseline.judge(state, { index: 60, value: 500 });
    assert.equal(again.ready, false);
  });

  it('documents its memory: a week of minutes is ~40 KB', () => {
    const bytes = baselineBytes({ direction: 'up', threshold: 5, lags: [DAY, 7 * DAY] });
    assert.equal(bytes, (7 * DAY + 61 + 60) * 4);
    assert.equal(robustBaseline.init({ direction: 'up', threshold: 5, lags: [DAY, 7 * DAY] }).ring.byteLength + 60 * 4, bytes);
  });
});
