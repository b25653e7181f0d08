import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSoakArgs } from './args.ts';
import { flatness, maxParts, processNames, sampleTable, type SoakSample } from './verdict.ts';

const sample = (min: number, rss: number | null, fds: number | null, parts: Record<string, number> = {}, name = 'all-in-one'): SoakSample => ({
  t_s: min * 60,
  procs: { [name]: rss === null || fds === null ? null : { pid: 1, rss_mib: rss, fds, loop_p99_ms: 20, loop_max_ms: 30 } },
  parts, acknowledged: min * 1000, unavailable: 0, network_errors: 0, faults: 0,
});

test('flatness compares the last 10 minutes with minutes 5–10, ignoring restarts', () => {
  const flat = Array.from({ length: 31 }, (_, m) => sample(m, m === 12 ? null : 500 + (m % 3), 100));
  const r = flatness(flat, 'all-in-one', 'rss_mib');
  assert.equal(r.met, true);
  assert.ok(r.ratio! > 0.99 && r.ratio! < 1.01);
  const creeping = Array.from({ length: 31 }, (_, m) => sample(m, 500 + m * 10, 100 + m));
  const c = flatness(creeping, 'all-in-one', 'rss_mib');
  assert.equal(c.early, 575); // mean of 550..600
  assert.equal(c.late, 750); // mean of 700..800
  assert.equal(c.met, false);
  assert.equal(flatness(creeping, 'all-in-one', 'fds').met, false);
});

test('a run shorter than 15 minutes has no flatness verdict', () => {
  const r = flatness(Array.from({ length: 4 }, (_, m) => sample(m, 500, 100)), 'all-in-one', 'fds');
  assert.deepEqual(r, { process: 'all-in-one', metric: 'fds', early: null, late: null, ratio: null, met: null });
});

test('the most active parts of any table in any sample', () => {
  assert.deepEqual(maxParts([sample(1, 1, 1, { traces: 4, traces_1m: 9 }), sample(2, 1, 1, { traces: 7 })]), { table: 'traces_1m', parts: 9 });
});

test('the table has a cell per process, and a dash for one that was down', () => {
  const t = sampleTable([sample(1, 500, 100, { traces: 3 }), sample(2, null, null)], ['traces']);
  assert.match(t, /^\| min \| acknowledged \| faults \| all-in-one RSS MiB \/ FDs \/ loop p99 ms \| parts traces \|/);
  assert.match(t, /\| 1\.0 \| 1,000 \| 0 \| 500 \/ 100 \/ 20 \| 3 \|/);
  assert.match(t, /\| 2\.0 \| 2,000 \| 0 \| – \(down\) \| – \|/);
});

test('flatness is per process: one creeping service is named, the others are flat', () => {
  const samples: SoakSample[] = Array.from({ length: 31 }, (_, m) => ({
    ...sample(m, 300, 50, {}, 'ingest'),
    procs: { ingest: { pid: 1, rss_mib: 300, fds: 50, loop_p99_ms: 5, loop_max_ms: 9 }, writer: { pid: 2, rss_mib: 200 + m * 10, fds: 40, loop_p99_ms: null, loop_max_ms: null } },
  }));
  assert.deepEqual(processNames(samples), ['ingest', 'writer']);
  assert.equal(flatness(samples, 'ingest', 'rss_mib').met, true);
  assert.equal(flatness(samples, 'writer', 'rss_mib').met, false);
  assert.equal(flatness(samples, 'writer', 'fds').met, true);
});

test('options: defaults, and an error naming the bad one', () => {
  const o = parseSoakArgs([]);
  assert.deepEqual([o.modes, o.minutes, o.rate, o.clients, o.batch, o.killMinS, o.killMaxS, o.sampleS], [['embedded', 'distributed'], 30, { embedded: 3000, distributed: 900 }, 8, 100, 60, 180, 60]);
  assert.deepEqual(parseSoakArgs(['--mode', 'distributed', '--rate', '500']).modes, ['distributed']);
  assert.deepEqual(parseSoakArgs(['--mode', 'distributed', '--rate', '500']).rate, { embedded: 500, distributed: 500 });
  assert.throws(() => parseSoakArgs(['--mode', 'kafka']), /--mode: expected embedded, distributed or both/);
  assert.deepEqual([parseSoakArgs(['--kill-every', '20-45']).killMinS, parseSoakArgs(['--kill-every', '20-45']).killMaxS], [20, 45]);
  assert.throws(() => parseSoakArgs(['--minutes', 'x']), /--minutes: expected a number/);
  assert.throws(() => parseSoakArgs(['--kill-every', '50-10']), /--kill-every: expected A-B/);
  assert.throws(() => parseSoakArgs(['--bogus']), /bogus/);
});
