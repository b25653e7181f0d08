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
