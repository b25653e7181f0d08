import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryBus } from '../../services/core/bus/memory-bus.ts';
import { runEventBusContract } from './event-bus.contract.ts';

// Three partitions so that per-key ordering and partition routing are really exercised.
runEventBusContract('memory bus', async () => ({
  bus: createMemoryBus({ partitions: 3 }),
  topic: (name) => name,
  cleanup: async () => {},
}));

// The embedded default: publish resolves once every subscribed group committed.
runEventBusContract('memory bus (waitForConsumers)', async () => {
  const bus = createMemoryBus({ partitions: 3, waitForConsumers: true });
  return { bus, topic: (name) => name, cleanup: () => bus.close() };
});

test('regression: with requireConsumers, publishing to a topic nobody consumes is refused, not silently parked', async () => {
  const bus = createMemoryBus({ waitForConsumers: true, requireConsumers: true });
  await assert.rejects(bus.publish('nobody-reads-this', [{ key: 'k', value: Buffer.from('v') }]), /no consumer group is consuming nobody-reads-this/);
  await bus.close();
});

test('a group subscribed with awaitedByPublishers: false is not waited for, and still gets every message', async () => {
  const bus = createMemoryBus({ waitForConsumers: true, requireConsumers: true });
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  // This group blocks until released; a publish must not wait for it.
  const slow = await bus.subscribe({ topics: ['t'], group: 'async', awaitedByPublishers: false, onBatch: async (b) => { await gate; seen.push(...b.messages.map((m) => m.value.toString())); } });
  const fast = await bus.subscribe({ topics: ['t'], group: 'sync', onBatch: async () => {} });
  await bus.publish('t', [{ key: 'k', value: Buffer.from('a') }]);
  assert.deepEqual(seen, []);
  release();
  while (seen.length < 1) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seen, ['a']);
  await slow.close();
  await fast.close();
  await bus.close();
});

test('a slow group with maxBacklog sheds its oldest unread messages, counted; awaited groups still get every message', async () => {
  const bus = createMemoryBus({ waitForConsumers: true, requireConsumers: true });
  const slowSeen: string[] = [];
  const writerSeen: string[] = [];
  const shed: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = await bus.subscribe({
    topics: ['t'],
    group: 'evaluator',
    awaitedByPublishers: false,
    maxBacklog: 5,
    maxBatchSize: 2,
    onShed: (n) => shed.push(n),
    onBatch: async (b) => {
      await gate;
      slowSeen.push(...b.messages.map((m) => m.value.toString()));
    },
  });
  const writer = await bus.subscribe({ topics: ['t'], group: 'writer', onBatch: async (b) => void writerSeen.push(...b.messages.map((m) => m.value.toString())) });
  for (let i = 0; i < 20; i++) await bus.publish('t', [{ key: 'k', value: Buffer.from(String(i)) }]);
  assert.deepEqual(writerSeen, Array.from({ length: 20 }, (_, i) => String(i)), 'the awaited group misses nothing');
  // Uncommitted messages count as unread, the in-flight one included: of 20, 15 are skipped.
  assert.equal(shed.reduce((a, b) => a + b, 0), 15);
  release();
  while (slowSeen.length < 6) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(slowSeen, ['0', '15', '16', '17', '18', '19'], 'the in-flight batch, then the newest 5');
  await slow.close();
  await writer.close();
  await bus.close();
});

test('maxBacklog is refused on a group publishers wait for: shedding it would lose acknowledged work', async () => {
  const bus = createMemoryBus({ waitForConsumers: true });
  await assert.rejects(bus.subscribe({ topics: ['t'], group: 'writer', maxBacklog: 10, onBatch: async () => {} }), /maxBacklog is only for groups publishers do not wait for/);
  await bus.close();
});
