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
