/**
 * KafkaBus against librdkafka's mock cluster (a real Kafka-protocol broker):
 * the shared EventBus contract, interoperability with kcat (a client we did not
 * write), and broker faults.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createKafkaBus, type KafkaBusOptions } from '../../services/core/bus/kafka-bus.ts';
import type { BusMessage } from '../../services/core/bus/event-bus.ts';
import { partitionForKey } from '../../services/core/bus/partitioner.ts';
import { ErrorCodes, PipelineError } from '../../services/core/errors.ts';
import { createLogger, silentLogger } from '../../services/core/logger.ts';
import { pino } from 'pino';
import { startMockKafka, type MockKafka } from '../helpers/mock-kafka.ts';
import { CONTRACT_TOPICS, runEventBusContract, seqMessage, seqOf, sleep, waitFor } from './event-bus.contract.ts';

const log = process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG, name: 'kafka-bus-test' }) : silentLogger();

/**
 * Timings for tests: quick group joins and closes, short retry backoffs. The mock
 * delays a join into a group that a member just left by sessionTimeout - 1 s (a fresh
 * group: 3 s), so a short session timeout keeps hand-over tests fast.
 */
function busOptions(brokers: string[], extra: Partial<KafkaBusOptions> = {}): KafkaBusOptions {
  return {
    brokers,
    clientId: 'kafka-bus-test',
    log,
    sessionTimeoutMs: 5_000,
    rebalanceTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs: 250,
    retryDelayMs: 100,
    maxRetryDelayMs: 1_000,
    ...extra,
  };
}

const clusters: MockKafka[] = [];
async function cluster(options: Parameters<typeof startMockKafka>[0] = {}): Promise<MockKafka> {
  const c = await startMockKafka(options);
  clusters.push(c);
  return c;
}
after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

let shared: Promise<MockKafka> | null = null;
runEventBusContract('kafka bus (librdkafka mock cluster)', async () => {
  const kafka = await (shared ??= cluster());
  // Fresh topics per test: the mock has no CreateTopics API, so the helper creates them.
  const prefix = `c-${randomUUID().slice(0, 8)}`;
  for (const t of CONTRACT_TOPICS) await kafka.createTopic(`${prefix}.${t.name}`, t.partitions);
  const bus = createKafkaBus(busOptions(kafka.brokers));
  return { bus, topic: (name) => `${prefix}.${name}`, cleanup: () => bus.close() };
});

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('kafka bus: interoperability and faults', { timeout: 300_000 }, () => {
  test('kcat (librdkafka) produces keyed JSON lines; the KafkaBus consumer receives them', { timeout: 60_000 }, async () => {
    const kafka = await (shared ??= cluster());
    const topic = `kcat-in-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 2);
    const lines = Array.from({ length: 20 }, (_, i) => `trace-${i % 4}:${JSON.stringify({ seq: i, model: 'gpt-4o' })}`);
    await run('kcat', ['-b', kafka.bootstrap, '-t', topic, '-P', '-K:'], `${lines.join('\n')}\n`);
    const bus = createKafkaBus(busOptions(kafka.brokers));
    const got: BusMessage[] = [];
    try {
      await bus.subscribe({ topics: [topic], group: `${topic}.g`, onBatch: async (b) => void got.push(...b.messages) });
      await waitFor('20 messages from kcat', () => got.length >= 20, 30_000);
      const bySeq = new Map(got.map((m) => [seqOf(m), m]));
      assert.equal(bySeq.size, 20);
      for (let i = 0; i < 20; i++) {
        const m = bySeq.get(i)!;
        assert.equal(m.key, `trace-${i % 4}`);
        assert.deepEqual(JSON.parse(m.value.toString()), { seq: i, model: 'gpt-4o' });
      }
      // Same key → same partition, in order.
      for (let k = 0; k < 4; k++) {
        const ofKey = got.filter((m) => m.key === `trace-${k}`);
        assert.equal(new Set(ofKey.map((m) => m.partition)).size, 1);
        assert.deepEqual(ofKey.map(seqOf), [...ofKey.map(seqOf)].sort((a, b) => a - b));
      }
    } finally {
      await bus.close();
    }
  });

  test('KafkaBus publishes; kcat reads key, value and headers back', { timeout: 60_000 }, async () => {
    const kafka = await (shared ??= cluster());
    const topic = `kcat-out-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 1);
    const bus = createKafkaBus(busOptions(kafka.brokers));
    try {
      await bus.publish(topic, [
        { key: 'a', value: Buffer.from('{"x":1}'), headers: { 'content-type': 'application/json' } },
        { key: 'b', value: Buffer.from('plain') },
      ]);
    } finally {
      await bus.close();
    }
    const out = await run('kcat', ['-b', kafka.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k|%s|%h\n']);
    assert.deepEqual(out.trim().split('\n'), ['a|{"x":1}|content-type=application/json', 'b|plain|']);
  });

  test('keys land on the partition partitionForKey (murmur2) picks, as with librdkafka murmur2_random', { timeout: 60_000 }, async () => {
    const kafka = await (shared ??= cluster());
    const topic = `route-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 6);
    const keys = Array.from({ length: 30 }, (_, i) => `trace-${i}-${randomUUID()}`);
    const bus = createKafkaBus(busOptions(kafka.brokers));
    const got: BusMessage[] = [];
    try {
      await bus.publish(topic, keys.map((k, i) => seqMessage(i, k)));
      // A librdkafka producer routes like Java/kafkajs only with partitioner=murmur2_random.
      const kcatLines = keys.map((k, i) => `${k}:${JSON.stringify({ seq: 100 + i })}`).join('\n');
      await run('kcat', ['-b', kafka.bootstrap, '-t', topic, '-P', '-K:', '-X', 'topic.partitioner=murmur2_random'], `${kcatLines}\n`);
      await bus.subscribe({ topics: [topic], group: `${topic}.g`, onBatch: async (b) => void got.push(...b.messages) });
      await waitFor('60 messages', () => got.length >= 60, 30_000);
      for (const m of got) assert.equal(m.partition, partitionForKey(m.key, 6), `partition of key ${m.key} (seq ${seqOf(m)})`);
      assert.ok(new Set(got.map((m) => m.partition)).size > 1, 'keys spread over partitions');
    } finally {
      await bus.close();
    }
  });

  test('createTopics: the mock has no CreateTopics API; the bus logs a warning and works on', { timeout: 60_000 }, async () => {
    const kafka = await (shared ??= cluster());
    const topic = `auto-${randomUUID().slice(0, 8)}`;
    const lines: { level: number; msg: string }[] = [];
    const capture = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const bus = createKafkaBus({ ...busOptions(kafka.brokers), log: capture, createTopics: [{ name: topic, partitions: 2 }] });
    try {
      await bus.connect();
      assert.ok(lines.some((l) => l.level === 40 && /could not create topics/.test(l.msg)), JSON.stringify(lines));
      await bus.publish(topic, [seqMessage(1)]); // auto-created by the broker on first use
      const got: number[] = [];
      await bus.subscribe({ topics: [topic], group: `${topic}.g`, onBatch: async (b) => void got.push(...b.messages.map(seqOf)) });
      await waitFor('the message', () => got.length === 1, 30_000);
    } finally {
      await bus.close();
    }
  });

  test('slow handlers and long retries heartbeat: the member keeps its partitions (no redelivery)', { timeout: 90_000 }, async () => {
    const kafka = await (shared ??= cluster());
    const topic = `slow-${randomUUID().slice(0, 8)}`;
    await kafka.createTopic(topic, 1);
    const sessionTimeoutMs = 4_000;
    const bus = createKafkaBus(busOptions(kafka.brokers, { sessionTimeoutMs, maxRetryDelayMs: 1_500 }));
    let zeroCalls = 0;
    let oneAttempts = 0;
    let oneDone = 0;
    let failUntil = 0;
    try {
      await bus.publish(topic, [seqMessage(0), seqMessage(1)]);
      await bus.subscribe({
        topics: [topic],
        group: `${topic}.g`,
        maxBatchSize: 1,
        onBatch: async (b) => {
          if (seqOf(b.messages[0]) === 0) {
            zeroCalls++;
            return sleep(sessionTimeoutMs * 1.75); // one call longer than the session
          }
          oneAttempts++;
          failUntil ||= Date.now() + sessionTimeoutMs * 1.75; // retries longer than the session
          if (Date.now() < failUntil) throw new Error('still failing');
          oneDone++;
        },
      });
      await waitFor('message 1 handled', () => oneDone > 0, 60_000);
      await sleep(sessionTimeoutMs * 1.5); // a lost session would show up as a redelivery
      assert.ok(oneAttempts > 2, `message 1 was retried (${oneAttempts} attempts)`);
      assert.equal(zeroCalls, 1, 'message 0 delivered once');
      assert.equal(oneDone, 1, 'message 1 not redelivered after it succeeded');
    } finally {
      await bus.close();
    }
  });

  test('transient protocol errors (Produce, OffsetCommit) are retried without loss', { timeout: 90_000 }, async () => {
    const kafka = await cluster({ topics: [{ name: 'transient', partitions: 1 }] });
    const bus = createKafkaBus(busOptions(kafka.brokers));
    try {
      await kafka.pushErrors('Produce', ['NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT']);
      await bus.publish('transient', [0, 1, 2, 3].map((i) => seqMessage(i)));
      await kafka.pushErrors('OffsetCommit', ['COORDINATOR_NOT_AVAILABLE', 'REQUEST_TIMED_OUT']);
      const first: number[] = [];
      const sub = await bus.subscribe({ topics: ['transient'], group: 'transient.g', maxBatchSize: 2, onBatch: async (b) => void first.push(...b.messages.map(seqOf)) });
      await waitFor('4 messages', () => first.length >= 4, 30_000);
      await sub.close();
      assert.deepEqual(first, [0, 1, 2, 3]);
      // The commits went through in the end: a new member sees only new messages.
      await bus.publish('transient', [seqMessage(4)]);
      const second: number[] = [];
      const sub2 = await bus.subscribe({ topics: ['transient'], group: 'transient.g', onBatch: async (b) => void second.push(...b.messages.map(seqOf)) });
      await waitFor('message 4', () => second.includes(4), 30_000);
      await sub2.close();
      assert.deepEqual(second, [4]);
    } finally {
      await bus.close();
    }
  });

  test('broker down mid-stream, then up: publishes succeed or reject loudly, consumer resumes, nothing lost', { timeout: 180_000 }, async () => {
    const kafka = await cluster({ brokers: 3, topics: [{ name: 'fault', partitions: 3 }] });
    // Put the group coordinator and one partition leader on the broker that goes down.
    await kafka.ok('coordinator group fault.g 1');
    await kafka.ok('leader fault 0 1');
    const bus = createKafkaBus(busOptions(kafka.brokers, { retry: { initialRetryTime: 100, retries: 4 } }));
    const received = new Set<number>();
    let acked = 0;
    const rejections: unknown[] = [];
    try {
      await bus.subscribe({ topics: ['fault'], group: 'fault.g', maxBatchSize: 50, onBatch: async (b) => b.messages.forEach((m) => received.add(seqOf(m))) });
      let stop = false;
      // A producer that retries a rejected publish, as a service would on a retryable error.
      const producing = (async () => {
        for (let seq = 0; !stop; seq++) {
          const msgs = [seqMessage(seq, `trace-${seq % 7}`)];
          for (;;) {
            try {
              await bus.publish('fault', msgs);
              acked = seq + 1;
              break;
            } catch (err) {
              rejections.push(err);
              await sleep(200);
            }
          }
          await sleep(20);
        }
      })();
      await waitFor('traffic before the fault', () => received.size >= 20, 30_000);
      await kafka.brokerDown(1);
      await sleep(4_000);
      await kafka.brokerUp(1);
      const upAt = acked;
      await waitFor('publishes after recovery', () => acked >= upAt + 20, 60_000);
      stop = true;
      await producing;
      await waitFor(`all ${acked} acknowledged messages consumed`, () => received.size >= acked, 60_000);
      for (let i = 0; i < acked; i++) assert.ok(received.has(i), `message ${i} consumed`);
      for (const err of rejections) {
        assert.ok(err instanceof PipelineError, `rejection is a PipelineError: ${String(err)}`);
        assert.equal(err.code, ErrorCodes.BUS_UNAVAILABLE);
        assert.equal(err.retryable, true);
      }
      console.log(`fault test: ${acked} messages acknowledged and consumed, ${rejections.length} publish rejection(s) during the outage`);
    } finally {
      await bus.close();
    }
  });
});
