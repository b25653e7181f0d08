import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/temp-dir.ts';

/**
 * CI's short soak: `npm run soak` for 2 minutes per mode, at a third (embedded) or about
 * half (distributed) of the default rates to leave the 2-core CI machine room, with a
 * fault every 30–60 s. The script's own verdict is the test: every acknowledged event
 * counted exactly once with the exact cost, parts bounded. The 30-minute runs' tables are
 * in RELIABILITY.md.
 */
async function runSoak(mode: string, rate: number): Promise<any> {
  const dir = tempDir(`soak-ci-${mode}`);
  const out = join(dir.path, 'soak.json');
  const repo = join(import.meta.dirname, '../..');
  const args = ['--mode', mode, '--minutes', '2', '--rate', String(rate), '--kill-every', '25-45', '--sample-s', '30', '--out', out];
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'scripts/soak/main.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  console.log(output.split('\n').filter((l) => !/^soak \w+ [\d.]+\//.test(l)).join('\n'));
  assert.equal(code, 0, output.slice(-3000));
  const r = JSON.parse(readFileSync(out, 'utf8')).results[0];
  dir.cleanup();
  assert.equal(r.mode, mode);
  assert.equal(r.exact, true);
  assert.equal(r.counts.traces, r.counts.acknowledged);
  assert.ok(r.faults.length >= 2, `${r.faults.length} faults in 2 minutes`);
  return r;
}

describe('soak with faults', () => {
  test('embedded: 2 minutes at 1,000 events/s, SIGKILLs of the all-in-one', { timeout: 600_000 }, async () => {
    const r = await runSoak('embedded', 1000);
    assert.ok(r.counts.acknowledged >= 80_000, `${r.counts.acknowledged} acknowledged`);
    assert.ok(r.samples.some((s: any) => s.procs['all-in-one']?.loop_p99_ms !== null), 'event-loop delay sampled');
  });

  test('distributed: 2 minutes at 500 events/s, SIGKILLs of the services and the broker down', { timeout: 900_000 }, async () => {
    const r = await runSoak('distributed', 500);
    assert.ok(r.counts.acknowledged >= 30_000, `${r.counts.acknowledged} acknowledged`);
    const names = new Set(r.samples.flatMap((s: any) => Object.keys(s.procs)));
    assert.deepEqual([...names].sort(), ['clickhouse', 'enricher', 'ingest', 'writer']);
    assert.ok(r.samples.some((s: any) => s.procs.writer?.loop_p99_ms != null), 'a consumer reports its event-loop delay on HEALTH_PORT');
  });
});
