import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gaussian, rng } from '../../test/support/anomaly/random-draws.ts';
import { inferIntervalMs } from './engine/bucketing.ts';
import { detectRows, parseArgs, parseInterval, parseSeries, runDetect, type CliIo } from './detect-cli.ts';

function io(files: Record<string, string>): CliIo & { out: string; err: string } {
  const o = {
    out: '',
    err: '',
    readFile(p: string) {
      if (!(p in files)) throw new Error('ENOENT');
      return files[p];
    },
    stdout(t: string) {
      o.out += t;
    },
    stderr(t: string) {
      o.err += t;
    },
  };
  return o;
}

/** A day and a half of noisy minute data with a spike at minute 2000 and a drop at 2100. */
function csv(header = true, epoch = false): string {
  const g = gaussian(rng(21));
  const t0 = Date.UTC(2025, 0, 6);
  const lines = header ? ['timestamp,value'] : [];
  for (let i = 0; i < 2200; i++) {
    let v = 100 + 30 * Math.sin((2 * Math.PI * i) / 1440) + 3 * g();
    if (i >= 2000 && i < 2005) v *= 3;
    if (i >= 2100 && i < 2105) v = 0;
    const ts = epoch ? String((t0 + i * 60_000) / 1000) : new Date(t0 + i * 60_000).toISOString();
    lines.push(`${ts},${v.toFixed(3)}`);
  }
  return lines.join('\n');
}

describe('npm run detect', () => {
  it('writes one row per slot with a header, flags the spike, would alert on it, nothing on the clean stretch', () => {
    const x = io({ 's.csv': csv() });
    assert.equal(runDetect(['--input', 's.csv', '--direction', 'up'], x), 0);
    const lines = x.out.trim().split('\n');
    assert.equal(lines[0], 'timestamp,value,score,is_anomaly,would_alert');
    assert.equal(lines.length, 2201);
    assert.match(x.err, /^s\.csv: 2200 rows onto 2200 slots of 60s \(mean\): 0 merged, 0 out of order, 0 missing\n$/);
    const rows = lines.slice(1).map((l) => l.split(','));
    assert.ok(rows.every((r) => r.length === 5 && Number(r[2]) >= 0 && Number(r[2]) <= 1));
    const alerting = rows.map((r, i) => (r[4] === 'true' ? i : -1)).filter((i) => i >= 0);
    assert.ok(alerting.includes(2001), `would alert at ${alerting}`);
    assert.ok(alerting.every((i) => i >= 2000 && i < 2010), `would alert outside the spike at ${alerting.filter((i) => i < 2000 || i >= 2010)}`);
    const flagged = rows.map((r, i) => (r[3] === 'true' ? i : -1)).filter((i) => i >= 0);
    assert.ok(flagged.includes(2000) && flagged.includes(2004), `flagged ${flagged}`);
    assert.ok(flagged.every((i) => i >= 2000 && i < 2010), `false alarms at ${flagged.filter((i) => i < 2000 || i >= 2010)}`);
    assert.equal(rows[2100][3], 'false', 'a drop is harmless for --direction up');
  });

  it('--direction both also flags the drop to zero; epoch seconds without header work', () => {
    const x = io({ 's.csv': csv(false, true) });
    assert.equal(runDetect(['--input=s.csv', '--direction=both'], x), 0);
    const rows = x.out.trim().split('\n').slice(1);
    assert.equal(rows.length, 2200);
    assert.equal(rows[2100].split(',')[3], 'true');
  });

  it('is the same code path as the engine ensemble: results are deterministic', () => {
    const rows = parseSeries(csv(), 's.csv');
    assert.deepEqual(detectRows(rows, 'up', 60_000), detectRows(rows, 'up', 60_000));
  });

  it('takes repeated, out-of-order and irregular timestamps instead of refusing them', () => {
    // the two refusals of issue 15: a repeated timestamp, and a sample inside the previous interval
    const lines = ['timestamp,value'];
    const t0 = Date.UTC(2014, 2, 9);
    for (let i = 0; i < 600; i++) lines.push(`${new Date(t0 + i * 300_000).toISOString()},${10 + (i % 7)}`);
    lines.splice(200, 0, lines[200]); // repeated row
    lines.splice(300, 0, `${new Date(t0 + 298 * 300_000 + 40_000).toISOString()},12`); // jittered, out of order
    const x = io({ 'r.csv': lines.join('\n') });
    assert.equal(runDetect(['--input', 'r.csv', '--interval', '5m'], x), 0, x.err);
    assert.match(x.err, /602 rows onto 600 slots of 300s \(mean\): 2 merged, 1 out of order, 0 missing/);
    assert.equal(x.out.trim().split('\n').length, 601);
  });

  it('names the file and line of a bad value and exits 2', () => {
    const x = io({ 'series.csv': 'timestamp,value\n2025-01-01T00:00:00Z,1\n2025-01-01T00:01:00Z,abc\n' });
    assert.equal(runDetect(['--input', 'series.csv'], x), 2);
    assert.equal(x.err, 'series.csv:3: value "abc" is not a number\n');
    assert.equal(x.out, '');
  });

  it('rejects bad timestamps, wrong columns and bad flags', () => {
    assert.throws(() => parseSeries('2025-01-01T00:00:00Z,1\nyesterday,2', 'a.csv'), { message: /^a\.csv:2: timestamp "yesterday" is not ISO-8601/ });
    assert.throws(() => parseSeries('2025-01-01T00:00:00Z,1,3', 'a.csv'), /a\.csv:1: expected 2 columns/);
    assert.throws(() => parseArgs(['--direction', 'sideways', '--input', 'x']), /must be up, down or both/);
    assert.throws(() => parseArgs([]), /--input is required/);
    const x = io({});
    assert.equal(runDetect(['--input', 'missing.csv'], x), 2);
    assert.match(x.err, /missing\.csv: cannot read/);
  });

  it('infers the interval and parses explicit ones', () => {
    assert.equal(inferIntervalMs(parseSeries('0,1\n300,1\n600,1\n1200,1', 'a').map((r) => r.ms)), 300_000);
    assert.equal(parseInterval('5m'), 300_000);
    assert.equal(parseInterval('30s'), 30_000);
    assert.equal(parseInterval('1h'), 3_600_000);
    assert.throws(() => parseInterval('often'), /not a duration/);
  });
});
