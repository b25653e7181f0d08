import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/temp-dir.ts';

/**
 * CI's short soak: `npm run soak` for 3 minutes (at 1,000 events/s, a third of the default,
 * to leave the 2-core CI machine room) with a SIGKILL and an immediate restart every
 * 40–70 s. The script's own verdict is the test: every acknowledged event counted exactly
 * once with the exact cost, parts bounded. The 30-minute run's table is in RELIABILITY.md.
 */
test('soak for 3 minutes with SIGKILLs: counts exact, parts bounded', { timeout: 600_000 }, async () => {
  const dir = tempDir('soak-ci');
  const out = join(dir.path, 'soak.json');
  const repo = join(import.meta.dirname, '../..');
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'scripts/soak/main.ts'), '--minutes', '3', '--rate', '1000', '--kill-every', '40-70', '--sample-s', '30', '--out', out], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  console.log(output.split('\n').filter((l) => !l.startsWith('soak ') || l.startsWith('soak:')).join('\n'));
  assert.equal(code, 0, output.slice(-3000));
  const r = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(r.exact, true);
  assert.ok(r.restartsMs.length >= 2, `${r.restartsMs.length} kills in 3 minutes`);
  assert.ok(r.counts.acknowledged >= 100_000, `${r.counts.acknowledged} acknowledged`);
  assert.equal(r.counts.traces, r.counts.acknowledged);
  assert.ok(r.samples.some((s: { loop_p99_ms: number | null }) => s.loop_p99_ms !== null), 'event-loop delay sampled');
  dir.cleanup();
});
