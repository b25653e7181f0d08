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
