import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs } from './args.ts';
import { buildFigures, collectWarnings } from './figures.ts';
import { fileGroup, formatProfileSummary, summarizeProfile, type CpuProfile } from './profile.ts';
import { figureRows, formatNumber, formatTable, judge, TABLE_HEADERS, TARGETS } from './report.ts';
import { percentile, summarize } from './stats.ts';

test('percentile: nearest rank on a sorted copy', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(xs, 50), 5);
  assert.equal(percentile(xs, 95), 10);
  assert.equal(percentile(xs, 90), 9);
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile(xs, 100), 10);
  assert.equal(percentile([42], 99), 42);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.deepEqual(xs, [5, 1, 4, 2, 3, 10, 9, 8, 7, 6], 'input untouched');
  assert.throws(() => percentile(xs, 101), RangeError);
  const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
  assert.deepEqual([s.count, s.min, s.p50, s.p95, s.p99, s.max, s.mean], [100, 1, 50, 95, 99, 100, 50.5]);
  assert.equal(summarize([]).count, 0);
});

test('judge: met / missed and by how much', () => {
  assert.deepEqual(judge(8_308, TARGETS.embeddedEventsPerS), { met: false, text: 'missed by 91.7% (needs ×12.0)' });
  assert.deepEqual(judge(123_000, TARGETS.embeddedEventsPerS), { met: true, text: 'met, 23% headroom' });
  assert.deepEqual(judge(30, TARGETS.queryP95Ms1), { met: true, text: 'met, 40% under' });
  assert.deepEqual(judge(160, TARGETS.queryP95Ms1), { met: false, text: 'missed, 220% over (×3.20)' });
  assert.equal(judge(null, TARGETS.rssMiB).met, false);
  assert.equal(judge(0, TARGETS.enricherEventsPerS).text, 'missed by 100% (needs ×∞)');
});

test('table formatting: aligned columns, numbers right-aligned, empty columns dropped', () => {
  assert.equal(formatNumber(1234567), '1,234,567');
  assert.equal(formatNumber(12.345), '12.3');
  assert.equal(formatNumber(1.5), '1.50');
  const rows = figureRows([
    { section: '2 embedded', metric: 'HTTP ingest', value: 8308, unit: 'events/s', target: TARGETS.embeddedEventsPerS, vsLimit: 0.25 },
    { section: '5 queries', metric: 'cost p95 @ 1 client', value: 12.5, unit: 'ms', target: TARGETS.queryP95Ms1 },
  ]);
  assert.deepEqual(rows[0], ['2 embedded', 'HTTP ingest', '8,308 events/s', '≥ 100,000 events/s', 'missed by 91.7% (needs ×12.0)', '0.25×', '']);
  const table = formatTable(TABLE_HEADERS, rows);
  const lines = table.split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^section {4}│ figure/);
  assert.ok(!lines[0].includes('note'), 'the all-empty note column is dropped');
  assert.match(lines[1], /^─+─┼─/);
  // value column right-aligned: both rows end their value cell at the same position
  const end = (l: string, s: string) => l.indexOf(s) + s.length;
  assert.equal(end(lines[2], '8,308 events/s'), end(lines[3], '12.5 ms'));
});

test('args: defaults, flags and errors', () => {
  const d = parseBenchArgs([]);
  assert.equal(d.events, 200_000);
  assert.equal(d.rows, 200_000);
  assert.equal(d.queryRows, 10_000_000);
  assert.equal(d.distEvents, 100_000);
  const o = parseBenchArgs(['--events', '20000', '--query-rows', '500_000', '--skip', 'distributed,queries', '--profile']);
  assert.deepEqual([o.events, o.rows, o.distEvents, o.queryRows, o.profile], [20_000, 20_000, 20_000, 500_000, true]);
  assert.deepEqual(o.skip, ['distributed', 'queries']);
  assert.throws(() => parseBenchArgs(['--events', 'many']), /--events: expected a whole number/);
  assert.throws(() => parseBenchArgs(['--skip', 'everything']), /unknown section "everything"/);
});

test('profile summary: self time by function and file, GC share of busy time', () => {
  const root = '/repo';
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 100_000,
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3, 4, 5, 6] },
      { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 3, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
      { id: 4, callFrame: { functionName: 'toTraceRow', url: 'file:///repo/services/writer/trace-row.ts', lineNumber: 16 } },
      { id: 5, callFrame: { functionName: 'parse', url: 'file:///repo/node_modules/zod/v4/core/parse.js', lineNumber: 9 } },
      { id: 6, callFrame: { functionName: 'safeParse', url: 'file:///repo/node_modules/zod/v4/core/api.js', lineNumber: 99 } },
    ],
    // 10 samples, 10 ms apart: idle 2, gc 2, toTraceRow 3, zod 3 (parse 2 + safeParse 1)
    samples: [2, 2, 3, 3, 4, 4, 4, 5, 5, 6],
    timeDeltas: [0, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000],
  };
  const s = summarizeProfile(profile, { repoRoot: root });
  assert.equal(s.totalMs, 100);
  assert.equal(s.idleMs, 20);
  assert.equal(s.busyMs, 80);
  assert.equal(s.gcMs, 20);
  assert.equal(s.gcPct, 25);
  assert.deepEqual(s.topFunctions[0], { name: 'toTraceRow', file: 'services/writer/trace-row.ts', line: 17, selfMs: 30, pct: 37.5 });
  assert.deepEqual(s.topFiles.map((f) => [f.name, f.selfMs]), [['npm:zod', 30], ['services/writer/trace-row.ts', 30], ['(garbage collector)', 20]]);
  assert.ok(!s.topFiles.some((f) => f.name === '(idle)'));
  assert.match(formatProfileSummary(s), /GC 20 ms \(25% of busy\)/);
  // without samples, hitCount × the mean interval
  const byHits = summarizeProfile({ ...profile, samples: undefined, timeDeltas: undefined, nodes: profile.nodes.map((n) => ({ ...n, hitCount: n.id === 4 ? 3 : n.id === 2 ? 1 : 0 })) });
  assert.equal(byHits.topFunctions[0].selfMs, 75);
  assert.equal(fileGroup('file:///x/node_modules/@clickhouse/client/dist/a.js'), 'npm:@clickhouse/client');
  assert.equal(fileGroup('node:internal/streams/readable'), 'node:internal');
  assert.equal(fileGroup(''), '(native)');
});

test('figures: a failed section is a row and a warning, not a crash', () => {
  const figs = buildFigures({ limit: { error: 'Error: boom\n  at x' } });
  assert.equal(figs.length, 1);
  assert.match(figs[0].metric, /FAILED/);
  const w = collectWarnings({ limit: { error: 'Error: boom' } }, { loadBefore: 0.5, cpus: 2 });
  assert.deepEqual(w, ['FAILED section limit: Error: boom']);
});
