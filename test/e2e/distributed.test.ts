import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMockKafka, type MockKafka } from '../helpers/mock-kafka.ts';
import { eventually, freePort, startService, type ServiceProcess } from '../helpers/service-process.ts';
import { expectedCostPico, picoToUsdText } from '../helpers/expected-cost.ts';
import { clickhouseSql } from '../helpers/clickhouse-sql.ts';
import { startOtelAgentApp } from '../helpers/otel-agent-app.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * End to end, distributed: ingest, enricher, writer and query as separate processes over
 * librdkafka's mock Kafka cluster, sharing the embedded engine through the `clickhouse`
 * service. Events come from our ingest (Avro) and from kcat (JSON); a poison message
 * must end in the DLQ; the writer is killed between insert and offset commit and must
 * not double count after its restart.
 */
const RAW = 'llm.traces.raw';
const PARTITIONS = 3;
const dir = tempDir('e2e-distributed');
const SERVICE_PASSWORD = 'e2e-service-secret';
let kafka: MockKafka;
let env: Record<string, string>;
let chUrl: string;
let ingestUrl: string;
let queryUrl: string;
const services: ServiceProcess[] = [];
let writer: ServiceProcess;

const now = Date.now();
const ts = (i: number) => new Date(now - 60_000 - i * 1000).toISOString();
const HTTP_EVENTS = 300;
const KCAT_EVENTS = 50;
const httpEvents = Array.from({ length: HTTP_EVENTS }, (_, i) => ({
  trace_id: `http-${i}`,
  timestamp: ts(i),
  model: i % 2 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
  feature: i % 3 === 0 ? 'search' : 'chat',
  input_tokens: 1000 + i,
  cached_input_tokens: i % 5 === 0 ? 500 : 0,
  output_tokens: 100 + (i % 7),
  latency_ms: 500 + i,
  output: i % 2 === 0 ? 'a short answer' : 'a much longer answer with many more words than the rule allows',
}));
const SEARCH_EVENTS = httpEvents.filter((e) => e.feature === 'search').length;
const kcatEvents = Array.from({ length: KCAT_EVENTS }, (_, i) => ({
  trace_id: `kcat-${i}`,
  timestamp: ts(i),
  model: 'gpt-4o',
  feature: 'kcat-app',
  input_tokens: 2000,
  output_tokens: 300,
}));
const expectedPico =
  httpEvents.reduce((s, e) => s + expectedCostPico(e.model, e), 0) + kcatEvents.reduce((s, e) => s + expectedCostPico(e.model, e), 0);

const sql = clickhouseSql(() => chUrl);

function start(name: string, extra: Record<string, string> = {}): ServiceProcess {
  const s = startService(name, { ...env, ...extra });
  services.push(s);
  return s;
}

before(async () => {
  kafka = await startMockKafka({
    topics: ['llm.traces.raw', 'llm.traces.enriched', 'llm.dlq', 'llm.scores'].map((name) => ({ name, partitions: PARTITIONS })),
  });
  const [chPort, ingestPort, queryPort] = [await freePort(), await freePort(), await freePort()];
  chUrl = `http://127.0.0.1:${chPort}`;
  ingestUrl = `http://127.0.0.1:${ingestPort}`;
  queryUrl = `http://127.0.0.1:${queryPort}`;
  env = {
    KAFKA_BROKERS: kafka.bootstrap,
    TOPIC_PARTITIONS: String(PARTITIONS),
    CLICKHOUSE_URL: chUrl,
    CLICKHOUSE_USER: 'pipeline',
    CLICKHOUSE_PASSWORD: SERVICE_PASSWORD,
    WRITER_BATCH_SIZE: '40',
    ENRICHER_BATCH_SIZE: '50',
  };
  const rules = join(dir.path, 'evals.json');
  writeFileSync(rules, JSON.stringify({ version: 1, rules: [{ name: 'concise', sample_rate: 1, filter: { feature: 'search' }, evaluator: { type: 'max_length', max_words: 5 } }] }));
  env.EVALS_FILE = rules;
  const ch = startService('clickhouse', { DATA_DIR: dir.path, CLICKHOUSE_HTTP_PORT: String(chPort), CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD });
  services.push(ch);
  await ch.waitForLog(/ClickHouse HTTP interface listening/);
});

after(async () => {
  for (const s of services.reverse()) await s.stop('SIGKILL');
  await kafka?.stop();
  dir.cleanup();
});

test('services start as separate processes', async () => {
  // The first writer kills itself right after its first insert, before committing offsets.
  writer = start('writer', { FAULT_WRITER_KILL_AFTER_INSERTS: '1' });
  const healthPort = await freePort();
  const enricher = start('enricher', { HEALTH_PORT: String(healthPort) });
  const ingest = start('ingest', { PORT: new URL(ingestUrl).port });
  const query = start('query', { PORT: new URL(queryUrl).port });
  const evaluator = start('evaluator');
  await Promise.all([writer, enricher, ingest, query, evaluator].map((s) => s.waitForLog(/service ready/)));
  // A consumer has no API of its own; HEALTH_PORT gives it the probes.
  assert.equal((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status, 200);
  assert.equal((await fetch(`${queryUrl}/readyz`)).status, 200);
});

test('events from our ingest (Avro) and from kcat (JSON) and a poison message are produced', async () => {
  for (let i = 0; i < httpEvents.length; i += 100) {
    const res = await fetch(`${ingestUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ traces: httpEvents.slice(i, i + 100) }),
    });
    assert.equal(res.status, 202, await res.text());
  }
  const lines = kcatEvents.map((e) => `${e.trace_id}|${JSON.stringify(e)}`).join('\n') + '\npoison-1|this is not an event\n';
  const kcat = spawnSync('kcat', ['-b', kafka.bootstrap, '-X', 'partitioner=murmur2_random', '-t', RAW, '-P', '-K', '|'], { input: lines, encoding: 'utf8', timeout: 30_000 });
  assert.equal(kcat.status, 0, `kcat failed: ${kcat.stderr}`);
});

test('the writer crashed between insert and commit', async () => {
  const exit = await writer.exited;
  assert.equal(exit.signal, 'SIGKILL');
  // Restart it without the fault, and without the recent-ids memory, so only the batch
  // log's deterministic tokens stand between a replay and a double count.
  writer = start('writer', { WRITER_DEDUP_WARM_MINUTES: '0' });
  await writer.waitForLog(/service ready/);
});

test('every event lands exactly once, in traces and in the rollups', async () => {
  const total = HTTP_EVENTS + KCAT_EVENTS;
  // The restarted writer found the batch its predecessor inserted but never committed.
  await writer.waitForLog(/resuming over logged batches/);
  await eventually(() => sql('SELECT count() AS n FROM traces'), (r) => Number(r[0]?.n) >= total, 90_000, `${total} traces`);
  // Give a late duplicate (if any) the time to arrive before asserting exactness.
  await new Promise((r) => setTimeout(r, 3000));
  const [t] = await sql('SELECT count() AS n, uniqExact(trace_id) AS u, toString(sum(cost_usd)) AS cost FROM traces');
  assert.equal(Number(t.n), total, 'rows in traces');
  assert.equal(Number(t.u), total, 'distinct trace_ids');
  assert.equal(t.cost, picoToUsdText(expectedPico));
  const [m] = await sql('SELECT sum(requests) AS n, toString(sum(cost_usd_sum)) AS cost FROM traces_1m');
  assert.equal(Number(m.n), total, 'requests in the minute rollup');
  assert.equal(m.cost, picoToUsdText(expectedPico));
  const [h] = await sql('SELECT sum(requests) AS n FROM traces_1h');
  assert.equal(Number(h.n), total, 'requests in the hour rollup');

  const res = await fetch(`${queryUrl}/v1/metrics/cost?interval=none&group_by=feature&from=${encodeURIComponent(new Date(now - 3600_000).toISOString())}`);
  const body = (await res.json()) as { rows: { feature: string; requests: number }[] };
  const kcatRow = body.rows.find((r) => r.feature === 'kcat-app');
  assert.equal(kcatRow?.requests, KCAT_EVENTS);
  assert.equal(body.rows.reduce((s, r) => s + r.requests, 0), total);
});

test('OTLP: an app on the OpenTelemetry JS SDK (protobuf exporter) sends agent runs; they go through Kafka as spans and come back as trees', async () => {
  const app = startOtelAgentApp({ url: `${ingestUrl}/otlp/v1/traces`, protocol: 'http/protobuf', serviceName: 'otlp-distributed' });
  const runs = [app.runAgent({ session: 'd-s1', user: 'carol' }), app.runAgent({ session: 'd-s1', user: 'carol', toolFails: true })];
  await app.flush();
  await app.shutdown();
  const rows = await eventually(() => sql("SELECT trace_id, span_id, parent_span_id, span_kind FROM traces FINAL WHERE feature = 'otlp-distributed'"), (r) => r.length >= 8, 60_000, '8 spans');
  assert.equal(rows.length, 8);
  const [m] = await sql("SELECT sum(requests) AS n, toString(sum(cost_usd_sum)) AS cost FROM traces_1m WHERE feature = 'otlp-distributed'");
  const runPico =
    expectedCostPico('gpt-4o-2024-08-06', { input_tokens: 1200, output_tokens: 80, cached_input_tokens: 1024 }) +
    expectedCostPico('claude-sonnet-4-5', { input_tokens: 2000, output_tokens: 300, cache_write_tokens: 500 });
  assert.deepEqual([Number(m.n), m.cost], [4, picoToUsdText(2 * runPico)], 'the four LLM spans, priced exactly');
  const tree = await (await fetch(`${queryUrl}/v1/traces/${runs[1].traceId}`)).json();
  assert.deepEqual([tree.span_id, tree.span_kind, tree.run.span_count, tree.run.totals.cost_usd, tree.run.totals.errors], [runs[1].spanIds.agent, 'agent', 4, picoToUsdText(runPico), 1]);
  assert.equal(tree.spans[0].children.length, 3);
  const session = await (await fetch(`${queryUrl}/v1/sessions/d-s1`)).json();
  assert.deepEqual([session.totals.traces, session.users, session.totals.cost_usd], [2, ['carol'], picoToUsdText(2 * runPico)]);
});

test('evals (evaluator process) and user feedback (ingest) reach scores and the quality API', async () => {
  const fb = await fetch(`${ingestUrl}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ trace_id: 'http-0', value: 'up' }) });
  assert.equal(fb.status, 202, await fb.text());
  const counts = await eventually(
    () => sql('SELECT source, count() AS n FROM scores FINAL GROUP BY source ORDER BY source'),
    (r) => r.length === 2 && Number(r[0].n) === SEARCH_EVENTS && Number(r[1].n) === 1,
    60_000,
    `${SEARCH_EVENTS} eval scores and 1 feedback`,
  );
  assert.deepEqual(counts.map((r) => r.source), ['eval', 'user']);
  const res = await fetch(`${queryUrl}/v1/metrics/quality?interval=none&group_by=name,feature&source=eval&from=${encodeURIComponent(new Date(now - 3600_000).toISOString())}`);
  const body = (await res.json()) as { rows: { name: string; feature: string; count: number; mean: number }[] };
  assert.equal(body.rows.length, 1);
  assert.equal(body.rows[0].feature, 'search');
  assert.equal(body.rows[0].count, SEARCH_EVENTS);
  // Even-indexed events have the short output; search events are those with i % 3 === 0.
  const expectedPass = httpEvents.filter((e, i) => e.feature === 'search' && i % 2 === 0).length / SEARCH_EVENTS;
  assert.ok(Math.abs(body.rows[0].mean - expectedPass) < 1e-9, `mean ${body.rows[0].mean} vs ${expectedPass}`);
});

test('the poison message is in the DLQ with its source and reason', async () => {
  const rows = await eventually(() => sql("SELECT source_topic, source_partition, source_offset, reason, message_key, value_base64 FROM dlq"), (r) => r.length >= 1, 30_000, 'a DLQ row');
  assert.equal(rows.length, 1);
  assert.equal(rows[0].source_topic, RAW);
  assert.equal(rows[0].message_key, 'poison-1');
  assert.match(rows[0].reason, /neither Confluent-framed Avro/);
  assert.equal(Buffer.from(rows[0].value_base64, 'base64').toString(), 'this is not an event');
});

test('SIGTERM stops every service cleanly', async () => {
  for (const s of [...services].reverse()) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) continue;
    const exit = await s.stop('SIGTERM');
    assert.equal(exit.code, 0, `${s.name} exit: ${JSON.stringify(exit)}\n${s.logs.slice(-5).join('\n')}`);
  }
});
