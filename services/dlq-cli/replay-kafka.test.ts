/**
 * `replay` over Kafka (KAFKA_BROKERS set → kafkaBusFromConfig, nothing injected) against
 * librdkafka's mock cluster, with the dead letters in the real embedded engine. Kafka is
 * the one path that carries any bytes back, Avro included: a separate consumer group
 * must receive exactly the stored bytes, key and headers, once per replay.
 * chDB binds one data directory per process: one store for this file.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startMockKafka, type MockKafka } from '../../test/helpers/mock-kafka.ts';
import type { BusMessage, EventBus } from '../core/bus/event-bus.ts';
import { createKafkaBus } from '../core/bus/kafka-bus.ts';
import { loadConfig } from '../core/config.ts';
import { silentLogger } from '../core/logger.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';
import { ErrorCodes, UNKNOWN_SCHEMA_AVRO, insertDeadLetters } from '../../test/support/dlq-cli/dead-letters.ts';
import { REPLAY_OF_HEADER } from './replay.ts';
import { runDlqCli } from './run.ts';

const RAW = 'llm.traces.raw';
const NOW = Date.parse('2026-05-01T12:00:00Z');
const json = Buffer.from('{"trace_id":"k1","model":"gpt-4o","input_tokens":"ten"}');

let kafka: MockKafka;
let ts: TestStore;
let consumer: EventBus;
const received: BusMessage[] = [];

before(async () => {
  kafka = await startMockKafka({ topics: [{ name: RAW, partitions: 3 }] });
  ts = await openTestStore();
  await insertDeadLetters(ts.store, [
    { topic: RAW, partition: 0, offset: 5, key: 'k1', value: json, code: ErrorCodes.VALIDATION_FAILED, reason: 'input_tokens: expected number', failedAt: NOW - 120_000, headers: { 'x-tenant': 'acme' } },
    { topic: RAW, partition: 2, offset: 7, key: 'k2', value: UNKNOWN_SCHEMA_AVRO, code: ErrorCodes.UNKNOWN_SCHEMA_ID, reason: 'unknown schema id 999', failedAt: NOW - 60_000 },
  ]);
  consumer = createKafkaBus({ brokers: kafka.brokers, clientId: 'dlq-kafka-test', log: silentLogger(), sessionTimeoutMs: 5_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 250 });
  await consumer.subscribe({ topics: [RAW], group: 'dlq-kafka-test', fromBeginning: true, onBatch: async (b) => void received.push(...b.messages) });
});
after(async () => {
  await consumer?.close();
  await ts?.close();
  await kafka?.stop();
});

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDlqCli(argv, {
    config: loadConfig({ KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_CLIENT_ID: 'dlq-cli-test', DLQ_TTL_DAYS: '3650' }),
    log: silentLogger(),
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    now: () => NOW,
    openStore: () => ({ store: { ...ts.store, close: async () => {} }, url: 'embedded test store' }),
  });
  return { code, out, err };
}

async function waitForCount(n: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (received.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  assert.equal(received.length, n, `expected ${n} messages on ${RAW}`);
}

test('JSON and Avro dead letters go back to Kafka byte for byte, once; --force sends again', async () => {
  const first = await cli(['replay', '--topic', RAW]);
  assert.equal(first.code, 0, first.err);
  assert.equal(first.out, [`replayed      ${RAW}:0:5 → ${RAW}`, `replayed      ${RAW}:2:7 → ${RAW}`, `replayed 2 (via Kafka at ${kafka.brokers.join(',')}), skipped 0 already replayed, failed 0`, ''].join('\n'));
  await waitForCount(2);
  const byKey = new Map(received.map((m) => [m.key, m]));
  assert.ok(byKey.get('k1')!.value.equals(json));
  assert.ok(byKey.get('k2')!.value.equals(UNKNOWN_SCHEMA_AVRO));
  assert.deepEqual(byKey.get('k1')!.headers, { 'x-tenant': 'acme', [REPLAY_OF_HEADER]: `${RAW}:0:5` });
  assert.deepEqual(byKey.get('k2')!.headers, { [REPLAY_OF_HEADER]: `${RAW}:2:7` });

  const again = await cli(['replay', '--topic', RAW]);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /replayed 0 .*, skipped 2 already replayed/);
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(received.length, 2, 'a second run publishes nothing');

  const forced = await cli(['replay', '--id', `${RAW}:2:7`, '--force']);
  assert.equal(forced.code, 0, forced.err);
  await waitForCount(3);
  assert.deepEqual([received[2]!.key, received[2]!.value.toString('hex')], ['k2', UNKNOWN_SCHEMA_AVRO.toString('hex')]);
  const rows = await ts.store.query<{ transport: string; forced: number; n: string }>('SELECT transport, forced, count() AS n FROM dlq_replays GROUP BY transport, forced ORDER BY forced');
  assert.deepEqual(rows, [
    { transport: 'kafka', forced: 0, n: '2' },
    { transport: 'kafka', forced: 1, n: '1' },
  ]);
});
