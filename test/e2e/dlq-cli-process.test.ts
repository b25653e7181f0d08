/**
 * `npm run dlq` as a real process (`node --import tsx scripts/dlq.ts …`) against what
 * `npm start` serves: the embedded pipeline, started in this test process, with its
 * ClickHouse HTTP interface (buildClickHouseHttpInterface) and its HTTP ingest on ports
 * chosen by the OS. Checks the printed table, the replay through ingest into `traces`,
 * the bookkeeping across runs, and the exit codes (0 ok, 1 failures, 2 usage).
 * chDB binds one data directory per process: the pipeline's, written through its service user.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { createClickHouseStore } from '../../services/core/store/clickhouse-store.ts';
import { createHttpClient } from '../../services/core/store/clients.ts';
import type { Store } from '../../services/core/store/store.ts';
import { ErrorCodes, UNKNOWN_SCHEMA_AVRO, insertDeadLetters } from '../support/dlq-cli/dead-letters.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const REPO = join(import.meta.dirname, '../..');
const SERVICE_PASSWORD = 'dlq-test-secret';
const dir = tempDir('e2e-dlq-cli');
let pipeline: EmbeddedPipeline;
let store: Store;
let chPort = '';
let apiPort = '';

const event = { trace_id: 'dlq-replay-1', timestamp: new Date(Date.now() - 60_000).toISOString(), model: 'gpt-4o', feature: 'chat', input_tokens: 10, output_tokens: 5, latency_ms: 100 };
const eventBytes = Buffer.from(JSON.stringify(event));
const truncated = Buffer.from('{"trace_id":"dlq-replay-2","model":"gp');
// Recent (the pipeline's DLQ_TTL_DAYS applies) and on whole hours, so the table is exact.
const HOUR = 3_600_000;
const base = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
const shown = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

before(async () => {
  const config = loadConfig({ DATA_DIR: dir.path, PORT: '0', CLICKHOUSE_HTTP_PORT: '0', CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD, ANOMALY_ENABLED: 'false' });
  pipeline = await startEmbeddedPipeline(config, silentLogger());
  chPort = new URL(pipeline.clickhouseUrl).port;
  apiPort = new URL(pipeline.apiUrl).port;
  store = createClickHouseStore({ client: createHttpClient({ url: pipeline.clickhouseUrl, username: 'pipeline', password: SERVICE_PASSWORD }), log: silentLogger(), embedded: false });
  await insertDeadLetters(store, [
    // e.g. dead-lettered by an enricher bug since fixed: the event itself is fine
    { topic: 'llm.traces.raw', partition: 0, offset: 100, key: event.trace_id, value: eventBytes, code: ErrorCodes.VALIDATION_FAILED, reason: 'invalid trace event: feature: unknown', failedAt: base },
    { topic: 'llm.traces.raw', partition: 1, offset: 101, key: 'dlq-avro', value: UNKNOWN_SCHEMA_AVRO, code: ErrorCodes.UNKNOWN_SCHEMA_ID, reason: 'unknown schema id 999 for subject "trace-event"', failedAt: base + HOUR },
    { topic: 'llm.traces.raw', partition: 0, offset: 102, key: 'dlq-replay-2', value: truncated, code: ErrorCodes.DECODE_FAILED, reason: 'invalid JSON: Unterminated string in JSON at position 38', failedAt: base + 2 * HOUR },
  ]);
});
after(async () => {
  await store?.close();
  await pipeline?.stop();
  dir.cleanup();
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as `npm run dlq --` runs it, with only the given environment (plus PATH/HOME). */
function dlq(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/dlq.ts'), ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', CLICKHOUSE_HTTP_PORT: chPort, PORT: apiPort, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
const asService = { CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('list: the table on stdout, newest first, read as the anonymous read-only analyst', async () => {
  const r = await dlq(['list']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      'TIME (UTC)           ID (topic:partition:offset)  KEY           REASON                                                         SIZE  REPLAYED',
      `${shown(base + 2 * HOUR)}  llm.traces.raw:0:102         dlq-replay-2  PIPE_DECODE_FAILED: invalid JSON: Unterminated string in JS…   38 B`,
      `${shown(base + HOUR)}  llm.traces.raw:1:101         dlq-avro      PIPE_UNKNOWN_SCHEMA_ID: unknown schema id 999 for subject "…   10 B`,
      `${shown(base)}  llm.traces.raw:0:100         dlq-replay-1  PIPE_VALIDATION_FAILED: invalid trace event: feature: unkno…  ${eventBytes.length} B`,
      '',
    ].join('\n'),
  );
  assert.equal(r.stderr, '3 dead letter(s), newest first\n');
});

test('list filters and --json', async () => {
  const r = await dlq(['list', '--reason', 'SCHEMA', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(rows.map((x) => [x.id, x.key, x.size_bytes, x.error_code]), [['llm.traces.raw:1:101', 'dlq-avro', 10, 'PIPE_UNKNOWN_SCHEMA_ID']]);
  const since = await dlq(['list', '--since', new Date(base + 1.5 * HOUR).toISOString(), '--limit', '1']);
  assert.equal(since.code, 0, since.stderr);
  assert.match(since.stdout, /llm\.traces\.raw:0:102/);
  assert.doesNotMatch(since.stdout, /:101|:100/);
  assert.match(since.stderr, /--limit 1 reached/);
  const none = await dlq(['list', '--topic', 'llm.scores']);
  assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', 'no dead letters match\n']);
});

test('usage errors exit 2 with the usage; an unreachable ClickHouse exits 1 naming the URL and what to start', async () => {
  const bad = await dlq(['list', '--limit', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--limit "lots" must be a whole number/);
  assert.match(bad.stderr, /usage:\n {2}npm run dlq -- list/);
  assert.equal(bad.stdout, '');
  assert.equal((await dlq(['replay'])).code, 2);
  const noCredential = await dlq(['replay', '--topic', 'llm.traces.raw']);
  assert.equal(noCredential.code, 2);
  assert.match(noCredential.stderr, /set CLICKHOUSE_SERVICE_PASSWORD/);

  const port = await freePort();
  const down = await dlq(['list'], { CLICKHOUSE_HTTP_PORT: String(port) });
  assert.equal(down.code, 1);
  assert.match(down.stderr, new RegExp(`cannot reach ClickHouse at http://127\\.0\\.0\\.1:${port} `));
  assert.match(down.stderr, /npm start/);
  const badConfig = await dlq(['list'], { CLICKHOUSE_HTTP_PORT: 'eighty' });
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /CLICKHOUSE_HTTP_PORT: expected a number/);
});

test('replay through the HTTP ingest: JSON reaches traces once; Avro and broken JSON fail with reasons; a rerun skips', async () => {
  const dry = await dlq(['replay', '--topic', 'llm.traces.raw', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^would replay {2}llm\.traces\.raw:0:100 → llm\.traces\.raw$/m);
  assert.match(dry.stdout, /dry run: would replay 3, skipped 0 already replayed, failed 0/);

  const r = await dlq(['replay', '--topic', 'llm.traces.raw'], asService);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'replayed      llm.traces.raw:0:100 → llm.traces.raw');
  assert.match(lines[1]!, /^FAILED {8}llm\.traces\.raw:1:101: the value is Avro: Avro bytes can only be replayed over Kafka \(set KAFKA_BROKERS\)/);
  assert.match(lines[2]!, /^FAILED {8}llm\.traces\.raw:0:102: the value is not valid JSON/);
  assert.equal(lines[3], `replayed 1 (via http://127.0.0.1:${apiPort}/v1/traces), skipped 0 already replayed, failed 2`);
  assert.match(r.stderr, /replaying via http:\/\/127\.0\.0\.1:\d+\/v1\/traces/);

  const traces = await store.query<{ trace_id: string; model: string }>("SELECT trace_id, model FROM traces FINAL WHERE trace_id LIKE 'dlq-replay-%'");
  assert.deepEqual(traces, [{ trace_id: 'dlq-replay-1', model: 'gpt-4o' }]);

  const again = await dlq(['replay', '--id', 'llm.traces.raw:0:100'], asService);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^skipped {7}llm\.traces\.raw:0:100: already replayed 1× \(last .+ UTC\); --force replays it again$/m);
  assert.match(again.stdout, /replayed 0 .*, skipped 1 already replayed \(--force to replay again\), failed 0/);

  const listed = await dlq(['list', '--id', 'llm.traces.raw:0:100', '--json']);
  assert.equal((JSON.parse(listed.stdout) as { replays: number }).replays, 1);
});
