import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

/** The importer end to end on a tiny snapshot: first import, no-op re-run, refresh, bad date, --replace, --check. */

const script = resolve(dirname(fileURLToPath(import.meta.url)), 'import-prices.ts');
const dir = mkdtempSync(join(tmpdir(), 'import-prices-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const out = join(dir, 'prices.json');

function snapshot(name: string, models: Record<string, unknown>, lastUpdated?: string): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ ...models, ...(lastUpdated ? { last_updated: lastUpdated } : {}) }, null, 2));
  return file;
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--out', out, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function prices(model: string): unknown {
  return (JSON.parse(readFileSync(out, 'utf8')) as { models: Record<string, { prices: unknown }> }).models[model]?.prices;
}

const gpt = { litellm_provider: 'openai', mode: 'chat', input_cost_per_token: 0.0000025, output_cost_per_token: 0.00001 };
const old = { litellm_provider: 'openai', mode: 'chat', input_cost_per_token: 0.00003, output_cost_per_token: 0.00006 };
const v1 = snapshot('v1.json', { 'gpt-4o': gpt, 'old-model': old }, '2026-07-24T18:23:43.215560+00:00');
const v2 = snapshot(
  'v2.json',
  { 'gpt-4o': { ...gpt, input_cost_per_token: 0.000002 }, 'new-model': { litellm_provider: 'acme', input_cost_per_token: 1e-7, output_cost_per_token: 2e-7 } },
  '2026-09-01T10:00:00+00:00',
);

describe('scripts/import-prices.ts', () => {
  it('first import: every price dated 1970-01-01', () => {
    const r = run('--source', v1);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /first import/);
    assert.deepEqual(prices('gpt-4o'), [{ effective_from: '1970-01-01', input: 0.0000025, output: 0.00001 }]);
  });

  it('re-running on the same snapshot is a no-op byte for byte, and --check agrees', () => {
    const before = readFileSync(out, 'utf8');
    const r = run('--source', v1);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /merge: {4}unchanged 2, changed 0, added 0, removed 0/);
    assert.equal(readFileSync(out, 'utf8'), before);
    assert.equal(run('--source', v1, '--check').status, 0);
    assert.equal(run('--source', v2, '--check').status, 1);
  });

  it('refresh: a changed price gets a new entry dated the snapshot day; removed models keep theirs', () => {
    const r = run('--source', v2);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /dated 2026-09-01 \(the snapshot's last_updated\)/);
    assert.match(r.stdout, /merge: {4}unchanged 0, changed 1, added 1, removed 1 \(no longer in the source/);
    assert.match(r.stdout, /changed: {2}gpt-4o: input 0\.0000025→0\.000002, output 0\.00001 \(changed: input\)/);
    assert.match(r.stdout, /added: {4}new-model \(dated 2026-09-01\)/);
    assert.match(r.stdout, /removed: {2}old-model/);
    assert.deepEqual(prices('gpt-4o'), [
      { effective_from: '1970-01-01', input: 0.0000025, output: 0.00001 },
      { effective_from: '2026-09-01', input: 0.000002, output: 0.00001 },
    ]);
    assert.deepEqual(prices('new-model'), [{ effective_from: '2026-09-01', input: 1e-7, output: 2e-7 }]);
    assert.deepEqual(prices('old-model'), [{ effective_from: '1970-01-01', input: 0.00003, output: 0.00006 }]);
    const before = readFileSync(out, 'utf8');
    assert.equal(run('--source', v2).status, 0);
    assert.equal(readFileSync(out, 'utf8'), before);
  });

  it('an --effective-from not after a changed model\'s newest date is an error naming it; the file is untouched', () => {
    const before = readFileSync(out, 'utf8');
    const r = run('--source', v1, '--effective-from', '2026-09-01');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /effective date 2026-09-01 is not after the newest existing price of 1 changed model\(s\): "gpt-4o" \(newest 2026-09-01\)/);
    assert.equal(readFileSync(out, 'utf8'), before);
    const ok = run('--source', v1, '--effective-from', '2026-10-01');
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual((prices('gpt-4o') as { effective_from: string }[]).map((p) => p.effective_from), ['1970-01-01', '2026-09-01', '2026-10-01']);
  });

  it('--replace overwrites: the snapshot alone, dated 1970-01-01', () => {
    const r = run('--source', v2, '--replace');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /--replace/);
    assert.deepEqual(prices('gpt-4o'), [{ effective_from: '1970-01-01', input: 0.000002, output: 0.00001 }]);
    assert.equal(prices('old-model'), undefined);
  });
});
