/**
 * The EventBus contract (services/core/bus/event-bus.ts). Every adapter runs this one
 * suite: `runEventBusContract('kafka bus', makeBus)`.
 *
 * `makeBus` is called once per test and returns a fresh bus plus `topic(name)`, which
 * maps each name of CONTRACT_TOPICS to a topic that exists (created with the listed
 * partition count where the adapter needs that) and is not shared with other tests.
 * Tests use generous timeouts: a Kafka group join alone takes ~3 s on the mock cluster.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, BusMessage, EventBus, OutgoingMessage, Subscription } from '../../services/core/bus/event-bus.ts';

export interface BusHarness {
  bus: EventBus;
  topic(name: ContractTopic): string;
  cleanup(): Promise<void>;
}

export const CONTRACT_TOPICS = [
  { name: 'roundtrip', partitions: 1 },
  { name: 'order', partitions: 3 },
  { name: 'retry', partitions: 1 },
  { name: 'resume', partitions: 1 },
  { name: 'abandon', partitions: 1 },
  { name: 'groups', partitions: 2 },
  { name: 'batchsize', partitions: 1 },
  { name: 'close', partitions: 1 },
] as const;
export type ContractTopic = (typeof CONTRACT_TOPICS)[number]['name'];

export interface ContractOptions {
  /** Longest wait for an expected delivery. */
  waitMs?: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A JSON message `{ seq }` with a key and a `seq` header. */
export function seqMessage(seq: number, key: string | null = 'k'): OutgoingMessage {
  return { key, value: Buffer.from(JSON.stringify({ seq })), headers: { seq: String(seq) } };
}
export const seqOf = (m: BusMessage): number => (JSON.parse(m.value.toString('utf8')) as { seq: number }).seq;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

export function runEventBusContract(name: string, makeBus: () => Promise<BusHarness>, options: ContractOptions = {}): void {
  const waitMs = options.waitMs ?? 30_000;
  const testTimeout = waitMs * 4;

  /** Runs `body` with a fresh bus; always cleans up, even when the test fails. */
  async function withBus(body: (h: BusHarness) => Promise<void>): Promise<void> {
    const h = await makeBus();
    try {
      await body(h);
    } finally {
      await h.cleanup();
    }
  }

  describe(`EventBus contract: ${name}`, { timeout: testTimeout * 8 }, () => {
    test('publish → subscribe round trip keeps key, value bytes and headers', { timeout: testTimeout }, () =>
      withBus(async ({ bus, topic }) => {
        const t = topic('roundtrip');
        const binary = Buffer.from([0x00, 0xff, 0x7b, 0x80, 0x0a, 0xc3, 0x28]); // not valid UTF-8
        const sent: OutgoingMessage[] = [
          { key: 'trace-1', value: Buffer.from('{"hello":"world"}'), headers: { 'content-type': 'application/json', source: 'test' } },
          { key: 'trace-2', value: binary, headers: { empty: '', unicode: 'héllo ✓' } },
          { key: null, value: Buffer.from('no key, no headers') },
        ];
        const before = Date.now();
        await bus.publish(t, sent);
        const got: BusMessage[] = [];
        const sub = await bus.subscribe({ topics: [t], group: `${t}.g`, onBatch: async (b) => void got.push(...b.messages) });
        try {
          await waitFor('3 messages', () => got.length >= 3, waitMs);
          const live: OutgoingMessage = { key: 'trace-3', value: Buffer.from('published while subscribed'), headers: { n: '4' } };
          await bus.publish(t, [live]);
          sent.push(live);
          await waitFor('the live message', () => got.length >= 4, waitMs);
          assert.equal(got.length, 4);
          for (const [i, s] of sent.entries()) {
            // Adapters may spread keys over partitions, so match by key rather than position.
            const m = got.find((g) => g.key === (s.key ?? null));
            assert.ok(m, `message ${i} (key ${s.key}) received`);
            assert.equal(m.topic, t);
            assert.ok(m.value.equals(s.value), `value ${i} bytes differ`);
            assert.deepEqual(m.headers, s.headers ?? {});
            assert.match(m.offset, /^\d+$/);
            assert.equal(typeof m.timestamp, 'number');
            assert.ok(m.timestamp >= before - 60_000 && m.timestamp <= Date.now() + 60_000, `timestamp ${m.timestamp} is not "now"`);
          }
        } finally {
          await sub.close();
        }
      }));

    test('messages with the same key keep their order (one partition, ascending offsets)', { timeout: testTimeout }, () =>
      withBus(async ({ bus, topic }) => {
        const t = topic('order');
        const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
        const total = 140;
        for (let from = 0; from < total; from += 35) {
          await bus.publish(t, range(from, from + 35).map((i) => seqMessage(i, keys[i % keys.length])));
        }
        const batches: Batch[] = [];
        const sub = await bus.subscribe({ topics: [t], group: `${t}.g`, maxBatchSize: 10, onBatch: async (b) => void batches.push(b) });
        try {
          await waitFor(`${total} messages`, () => new Set(batches.flatMap((b) => b.messages.map(seqOf))).size === total, waitMs);
          const partitionOfKey = new Map<string, number>();
          const seqsOfKey = new Map<string, number[]>();
          for (const b of batches) {
            const offsets = b.messages.map((m) => BigInt(m.offset));
            assert.ok(offsets.every((o, i) => i === 0 || o > offsets[i - 1]), 'offsets ascend within a batch');
            for (const m of b.messages) {
              assert.equal(m.partition, b.partition, 'a batch holds one partition');
              assert.equal(m.topic, t);
              const key = m.key!;
              if (!partitionOfKey.has(key)) partitionOfKey.set(key, m.partition);
              assert.equal(m.partition, partitionOfKey.get(key), `key ${key} stays on one partition`);
              const seqs = seqsOfKey.get(key) ?? [];
              if (!seqs.includes(seqOf(m))) seqs.push(seqOf(m)); // ignore at-least-once replays
              seqsOfKey.set(key, seqs);
            }
          }
          for (const [key, seqs] of seqsOfKey) {
            assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `order of key ${key}`);
            assert.equal(seqs.length, total / keys.length, `every message of key ${key}`);
          }
        } finally {
          await sub.close();
        }
      }));

    test('at-least-once: a throwing handler gets the same messages again and nothing is skipped', { timeout: testTimeout }, () =>
      withBus(async ({ bus, topic }) => {
        const t = topic('retry');
        await bus.publish(t, range(0, 9).map((i) => seqMessage(i)));
        const calls: number[][] = [];
        const succeeded: number[][] = [];
        let failures = 0;
        const sub = await bus.subscribe({
          topics: [t],
          group: `${t}.g`,
          maxBatchSize: 3,
          onBatch: async (b) => {
            const seqs = b.messages.map(seqOf);
            calls.push(seqs);
            // Fail the first two deliveries of the batch holding seq 3 (mid-stream).
            if (seqs.includes(3) && failures < 2) {
              failures++;
              throw new Error(`induced failure ${failures}`);
            }
            succeeded.push(seqs);
          },
        });
        try {
          await waitFor('all 9 messages handled', () => succeeded.flat().includes(8), waitMs);
          const failedAt = calls.findIndex((c) => c.includes(3));
          assert.ok(failedAt >= 0);
          // The two redeliveries repeat the failed batch exactly (same messages, same order).
          assert.deepEqual(calls[failedAt + 1], calls[failedAt]);
          assert.deepEqual(calls[failedAt + 2], calls[failedAt]);
          assert.deepEqual(succeeded.flat(), range(0, 9), 'every message exactly once among successful calls, in order');
          assert.ok(calls.every((c) => c.length <= 3));
        } finally {
          await sub.close();
        }
      }));

    test('commit only after success: a new member of the group continues exactly after what was processed', { timeout: testTimeout }, () =>
      withBus(async ({ bus, topic }) => {
        const t = topic('resume');
        const group = `${t}.g`;
        await bus.publish(t, range(0, 10).map((i) => seqMessage(i)));
        const first: number[] = [];
        const reached = deferred();
        const sub1 = await bus.subscribe({
          topics: [t],
          group,
          maxBatchSize: 1,
          onBatch: async (b) => {
            const seq = seqOf(b.messages[0]);
            if (seq >= 4) await sleep(300); // slow down so close() lands mid-stream
            first.push(seq);
            if (seq === 3) reached.resolve();
          },
        });
        await reached.promise;
        await sub1.close(); // an in-flight batch finishes and commits
        const n = first.length;
        assert.deepEqual(first, range(0, n), 'first member processed a prefix');
        assert.ok(n >= 4 && n < 10, `closed mid-stream (processed ${n})`);
        await sleep(500);
        assert.equal(first.length, n, 'no delivery after close() resolved');

        const second: number[] = [];
        const sub2 = await bus.subscribe({ topics: [t], group, onBatch: async (b) => void second.push(...b.messages.map(seqOf)) });
        try {
          await waitFor('the rest of the messages', () => second.includes(9), waitMs);
          assert.deepEqual(second, range(n, 10), `second member starts at ${n}: nothing skipped, nothing repeated`);
        } finally {
          await sub2.close();
        }
      }));

    test('a member closed while retrying a failing batch leaves it for the next member', { timeout: testTimeout }, () =>
      withBus(async ({ bus, topic }) => {
        const t = topic('abandon');
        const group = `${t}.g`;
        await bus.publish(t, range(0, 3).map((i) => seqMessage(i)));
        let attempts = 0;
        const sub1 = await bus.subscribe({
          topics: [t],
          group,
          onBatch: async () => {
            attempts++;
            throw new Error('downstream unavailable');
          },
        });
        await waitFor('a retry', () => attempts >= 2, waitMs);
        await sub1.close();
        const after = attempts;
        const received: number[] = [];
        const sub2 = await bus.subscribe({ topics: [t], group, onBatch: async (b) => void received.push(...b.messages.map(seqOf)) });
        try {
          await waitFor('redelivery to the next member', () => received.includes(2), waitMs);
          assert.deepEqual(received, [0, 1, 2]);
          assert.equal(attempts, after, 'the closed member is not called again');
        } finally {
          await sub2.close();
        }
      }));

    test('two groups each receive every message', { timeout: testTimeout }, () =>
      withBus(async ({ bus, topic }) => {
        const t = topic('groups');
        const a = new Set<number>();
        const b = new Set<number>();
        const subs: Subscription[] = await Promise.all([
          bus.subscribe({ topics: [t], group: `${t}.a`, onBatch: async (x) => x.messages.forEach((m) => a.add(seqOf(m))) }),
          bus.subscribe({ topics: [t], group: `${t}.b`, onBatch: async (x) => x.messages.forEach((m) => b.add(seqOf(m))) }),
        ]);
        try {
          await bus.publish(t, range(0, 30).map((i) => seqMessage(i, `key-${i % 5}`)));
          await waitFor('both groups to have 30 messages', () => a.size === 30 && b.size === 30, waitMs);
          assert.deepEqual([...a].sort((x, y) => x - y), range(0, 30));
          assert.deepEqual([...b].sort((x, y) => x - y), range(0, 30));
        } finally {
          await Promise.all(subs.map((s) => s.close()));
        }
      }));

    test('maxBatchSize bounds every onBatch call', { timeout: testTimeout }, () =>
      withBus(async ({ bus, topic }) => {
        const t = topic('batchsize');
        await bus.publish(t, range(0, 25).map((i) => seqMessage(i)));
        const sizes: number[] = [];
        const seqs: number[] = [];
        const sub = await bus.subscribe({
          topics: [t],
          group: `${t}.g`,
          maxBatchSize: 4,
          onBatch: async (b) => {
            sizes.push(b.messages.length);
            seqs.push(...b.messages.map(seqOf));
          },
        });
        try {
          await waitFor('25 messages', () => seqs.length >= 25, waitMs);
          assert.ok(sizes.every((s) => s >= 1 && s <= 4), `batch sizes ${sizes.join(',')}`);
          assert.deepEqual(seqs, range(0, 25));
        } finally {
          await sub.close();
        }
      }));

    test('close() lets the in-flight batch finish, then rejects publish and subscribe', { timeout: testTimeout }, () =>
      withBus(async ({ bus, topic }) => {
        const t = topic('close');
        await bus.publish(t, [seqMessage(0), seqMessage(1)]);
        const entered = deferred();
        const release = deferred();
        let calls = 0;
        let finished = 0;
        await bus.subscribe({
          topics: [t],
          group: `${t}.g`,
          maxBatchSize: 1,
          onBatch: async () => {
            calls++;
            entered.resolve();
            await release.promise;
            finished++;
          },
        });
        await entered.promise;
        let closeResolved = false;
        const closing = bus.close().then(() => (closeResolved = true));
        await sleep(300);
        assert.equal(closeResolved, false, 'close() waits for the in-flight onBatch');
        release.resolve();
        await closing;
        assert.equal(finished, 1);
        assert.equal(calls, 1, 'no new batch is started once close() began');
        await assert.rejects(bus.publish(t, [seqMessage(2)]));
        await assert.rejects(bus.subscribe({ topics: [t], group: `${t}.late`, onBatch: async () => {} }));
        await bus.close(); // idempotent
      }));
  });
}
