import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSoakArgs } from './args.ts';
import { flatness, maxParts, sampleTable, type SoakSample } from './verdict.ts';

const sample = (min: number, rss: number | null, fds: number | null, parts: Record<string, number> = {}): SoakSample => ({
  t_s: min * 60, pid: rss === null ? null : 1, rss_mib: rss, fds, loop_p99_ms: rss === null ? null : 20, loop_max_ms: rss === null ? null : 30,
  parts, acknowledged: min * 1000, unavailable: 0, network_errors: 0, kills: 0,
});

test('flatness compares the last 10 minutes with minutes 5–10, ignoring restarts', () => {
  const flat = Array.from({ length: 31 }, (_, m) => sample(m, m === 12 ? null : 500 + (m % 3), 100));
  const r = flatness(flat, 'rss_mib');
  assert.equal(r.met, true);
  assert.ok(r.ratio! > 0.99 && r.ratio! < 1.01);
  const creeping = Array.from({ length: 31 }, (_, m) => sample(m, 500 + m * 10, 100 + m));
  const c = flatness(creeping, 'rss_mib');
  assert.equal(c.early, 575); // mean of 550..600
  assert.equal(c.late, 750); // mean of 700..800
  assert.equal(c.met, false);
  assert.equal(flatness(creeping, 'fds').met, false);
});

test('a run shorter than 15 minutes has no flatness verdict', () => {
  const r = flatness(Array.from({ length: 4 }, (_, m) => sample(m, 500, 100)), 'fds');
  assert.deepEqual(r, { metric: 'fds', early: null, late: null, ratio: null, met: null });
});

test('the most active parts of any table in any sample', () => {
  assert.deepEqual(maxParts([sample(1, 1, 1, { traces: 4, traces_1m: 9 }), sample(2, 1, 1, { traces: 7 })]), { table: 'traces_1m', parts: 9 });
});

test('the table prints a dash for a sample taken while restarting', () => {
  const t = sampleTable([sample(1, 500, 100, { traces: 3 }), sample(2, null, null)], ['traces']);
  assert.match(t, /^\| min \| acknowledged/);
  assert.match(t, /\| 2\.0 \| 2,000 \| 0 \| – \| – \| – \(restarting\) \| – \|/);
});

test('options: defaults, and an error naming the bad one', () => {
  const o = parseSoakArgs([]);
  assert.deepEqual([o.minutes, o.rate, o.clients, o.batch, o.killMinS, o.killMaxS, o.sampleS], [30, 3000, 8, 100, 60, 180, 60]);
  assert.deepEqual([parseSoakArgs(['--kill-every', '20-45']).killMinS, parseSoakArgs(['--kill-every', '20-45']).killMaxS], [20, 45]);
  assert.throws(() => parseSoakArgs(['--minutes', 'x']), /--minutes: expected a number/);
  assert.throws(() => parseSoakArgs(['--kill-every', '50-10']), /--kill-every: expected A-B/);
  assert.throws(() => parseSoakArgs(['--bogus']), /bogus/);
});
