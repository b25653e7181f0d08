import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startService } from '../helpers/service-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * `npm start` as a real process: it starts, acknowledges events, stops cleanly on
 * SIGTERM, and what it acknowledged is still there after a restart on the same DATA_DIR.
 */
const dir = tempDir('e2e-all-in-one');
after(() => dir.cleanup());

async function startPipeline() {
  const [port, chPort] = [await freePort(), await freePort()];
  // One partition: the second run's offsets then collide with the first run's exactly.
  const p = startService('all-in-one', { DATA_DIR: dir.path, PORT: String(port), CLICKHOUSE_HTTP_PORT: String(chPort), EMBEDDED_BUS_PARTITIONS: '1' });
  await p.waitForLog(/pipeline ready/);
  return { p, api: `http://127.0.0.1:${port}`, ch: `http://127.0.0.1:${chPort}` };
}

test('start, ingest, SIGTERM, restart: acknowledged events survive', async () => {
  const first = await startPipeline();
  const traces = Array.from({ length: 100 }, (_, i) => ({ trace_id: `p-${i}`, timestamp: new Date(Date.now() - 60_000).toISOString(), model: 'gpt-4o-mini', input_tokens: 100, output_tokens: 10 }));
  const res = await fetch(`${first.api}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ traces }) });
  assert.equal(res.status, 202);
  const exit = await first.p.stop('SIGTERM');
  assert.equal(exit.code, 0, first.p.logs.slice(-5).join('\n'));
  assert.ok(first.p.logs.some((l) => /stopped cleanly/.test(l)));

  const second = await startPipeline();
  try {
    const count = await (await fetch(`${second.ch}/?query=${encodeURIComponent('SELECT count() FROM traces')}`)).text();
    assert.equal(count.trim(), '100');
    // Regression: the in-process bus restarts its offsets at 0; new events at the same
    // offsets must not be mistaken for the last run's batches and dropped as duplicates.
    const more = traces.map((t, i) => ({ ...t, trace_id: `p2-${i}` }));
    const res2 = await fetch(`${second.api}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ traces: more }) });
    assert.equal(res2.status, 202);
    const count2 = await (await fetch(`${second.ch}/?query=${encodeURIComponent('SELECT count() FROM traces')}`)).text();
    assert.equal(count2.trim(), '200');
    const cost = (await (await fetch(`${second.api}/v1/metrics/cost?interval=none`)).json()) as { rows: { requests: number }[] };
    assert.equal(cost.rows[0].requests, 200);
  } finally {
    assert.equal((await second.p.stop('SIGTERM')).code, 0);
  }
});

test('--check-config reports every bad variable by name and exits 2', async () => {
  const p = startService('all-in-one', { PORT: 'x', WRITER_BATCH_SIZE: '-1' }, { args: ['--check-config'] });
  const exit = await p.exited;
  assert.equal(exit.code, 2);
  const out = p.logs.join('\n');
  assert.match(out, /PORT: expected a number/);
  assert.match(out, /WRITER_BATCH_SIZE: must be >= 1/);
});

test('a service without Kafka configured refuses to start and says what to set', async () => {
  const p = startService('enricher', {});
  const exit = await p.exited;
  assert.equal(exit.code, 1);
  assert.match(p.logs.join('\n'), /KAFKA_BROKERS is required/);
});

test('on SIGTERM it turns not-ready first and keeps answering during the drain period', async () => {
  const [port, chPort] = [await freePort(), await freePort()];
  const d = tempDir('e2e-drain');
  const p = startService('all-in-one', { DATA_DIR: d.path, PORT: String(port), CLICKHOUSE_HTTP_PORT: String(chPort), SHUTDOWN_DRAIN_MS: '3000' });
  try {
    await p.waitForLog(/pipeline ready/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    p.child.kill('SIGTERM');
    await p.waitForLog(/shutting down/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 503);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.equal((await p.exited).code, 0);
  } finally {
    await p.stop('SIGKILL');
    d.cleanup();
  }
});

test('a taken port fails the start cleanly with exit code 1 and the reason', async () => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  const taken = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
  const d = tempDir('e2e-taken');
  try {
    const p = startService('all-in-one', { DATA_DIR: d.path, PORT: String(await freePort()), CLICKHOUSE_HTTP_PORT: String(taken) });
    const exit = await p.exited;
    assert.equal(exit.code, 1);
    assert.match(p.logs.join('\n'), /failed to start.*EADDRINUSE|EADDRINUSE[\s\S]*failed to start/);
  } finally {
    blocker.close();
    d.cleanup();
  }
});

test('the evaluator refuses to start on a bad rules file and names every bad field', async () => {
  const d = tempDir('e2e-bad-rules');
  try {
    const { writeFileSync } = await import('node:fs');
    const file = `${d.path}/evals.json`;
    writeFileSync(file, JSON.stringify({ version: 1, rules: [{ name: 'x', sample_rate: 2, evaluator: { type: 'regex', pattern: '([' } }] }));
    const p = startService('evaluator', { EVALS_FILE: file, KAFKA_BROKERS: '127.0.0.1:1' });
    const exit = await p.exited;
    assert.equal(exit.code, 1);
    const out = p.logs.join('\n');
    assert.match(out, /rules\[0\]\.sample_rate: must be <= 1/);
    assert.match(out, /rules\[0\]\.evaluator\.pattern: invalid regex/);
  } finally {
    d.cleanup();
  }
});
