import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, type ServiceProcess } from '../helpers/service-process.ts';
import { secs, startDistributed, TOPICS, type Distributed } from './support/distributed.ts';
import { expectedPicoOf, makeEvents, RetryingClient } from './support/traffic.ts';
import { assertExact, printFigures, readTotals, settledTotals } from './support/totals.ts';

/**
 * ClickHouse unreachable for 30 s (distributed). The `clickhouse` service process is
 * SIGKILLed mid-stream (inserts may be cut half-way) while the client keeps sending;
 * ingest keeps acknowledging (Kafka is up), the writer's inserts fail and are retried
 * with backoff, and its committed offsets on llm.traces.enriched do not move while the
 * enriched topic keeps growing: nothing it did not write is committed. After 30 s the
 * service is restarted on the same port and DATA_DIR; the writer resumes by itself and
 * every acknowledged event is counted exactly once.
 */
const OUTAGE_MS = 30_000;
const events = makeEvents('cho', 20_000, 4242);
let d: Distributed;
const client = new RetryingClient(() => d.ingestUrl);
let stream: ReturnType<RetryingClient['stream']>;
let writer: ServiceProcess;

before(async () => {
  d = await startDistributed({ name: 'ch-outage', env: { WRITER_BATCH_SIZE: '500', ENRICHER_BATCH_SIZE: '100' } });
  writer = d.start('writer');
  const services = [writer, d.start('enricher'), d.start('ingest')];
  await Promise.all(services.map((s) => s.waitForLog(/service ready/, 120_000)));
});

after(async () => {
  stream?.stop();
  await d?.shutdown();
});

test('ClickHouse down for 30 s mid-stream: the writer waits and commits nothing; after the restart every acknowledged event is counted once', async () => {
  stream = client.stream(events, { batchSize: 10, pauseMs: 400 });
  await eventually(() => readTotals(d.sql), (t) => t.rows >= 200, 120_000, '200 traces before the outage');

  const killedAt = Date.now();
  const rowsBefore = (await readTotals(d.sql)).rows;
  const chExit = await d.clickhouse.stop('SIGKILL');
  assert.equal(chExit.signal, 'SIGKILL');
  const ackedAtKill = client.acknowledged.size;
  // A batch whose insert finished just before the kill may still commit; then nothing may.
  await new Promise((r) => setTimeout(r, 3_000));
  const committedEarly = await d.committed('llm-writer', TOPICS.enriched);
  const highEarly = await d.highWatermarks(TOPICS.enriched);
  await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - killedAt) - 1_000));
  const committedLate = await d.committed('llm-writer', TOPICS.enriched);
  const highLate = await d.highWatermarks(TOPICS.enriched);
  console.log(
    `ch-outage: ${client.acknowledged.size - ackedAtKill} events acknowledged during the outage; enriched high watermarks ${JSON.stringify(highEarly)} -> ${JSON.stringify(highLate)}; writer committed ${JSON.stringify(committedEarly)} -> ${JSON.stringify(committedLate)}`,
  );
  assert.deepEqual(committedLate, committedEarly, 'the writer committed offsets while ClickHouse was down');
  assert.ok(highLate.reduce((a, b) => a + b, 0) > highEarly.reduce((a, b) => a + b, 0), 'the stream kept flowing into Kafka during the outage');
  assert.ok(client.acknowledged.size > ackedAtKill, 'ingest kept acknowledging during the outage');

  // Restart on the same port and DATA_DIR, 30 s after the kill.
  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - killedAt))));
  const restartAt = Date.now();
  await d.startClickHouse();
  const chStartMs = Date.now() - restartAt;
  const ackedAtRestart = client.acknowledged.size;
  await eventually(() => readTotals(d.sql), (t) => t.rows >= ackedAtRestart, 180_000, `the ${ackedAtRestart} events acknowledged before the restart`);
  const recoverMs = Date.now() - restartAt;

  await new Promise((r) => setTimeout(r, 2_000));
  stream.stop();
  await stream.done;
  const acked = events.filter((e) => client.acknowledged.has(e.trace_id));
  assert.equal(client.attempted.size, acked.length);
  const { totals } = await settledTotals(d.sql, acked.length, { what: 'ch-outage' });
  printFigures('clickhouse-unreachable-30s', client.attempted.size, acked.length, totals, recoverMs);
  const retries = writer.logs.filter((l) => /redelivering after backoff/.test(l)).map((l) => JSON.parse(l) as { retryInMs?: number });
  assert.ok(retries.length > 0, 'the writer logged no failed-and-retried batch during the outage');
  console.log(
    `ch-outage: ${rowsBefore} rows before the kill; clickhouse restart took ${secs(chStartMs)} s; the writer retried ${retries.length} times, backoff up to ${Math.max(...retries.map((r) => r.retryInMs ?? 0))} ms; every event acknowledged before the restart counted ${secs(recoverMs)} s after it; client ${JSON.stringify(client.stats)}`,
  );
  assertExact(totals, { n: acked.length, pico: expectedPicoOf(acked) });
});
