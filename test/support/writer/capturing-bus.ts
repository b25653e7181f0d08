import assert from 'node:assert/strict';
import type { BatchHandler, EventBus, OutgoingMessage, SubscribeOptions } from '../../../services/core/bus/event-bus.ts';

/**
 * A bus stand-in for writer tests that hands the test the writer's batch handler, so
 * deliveries, failures between insert and commit, redeliveries and restarts are played
 * exactly, with no timing involved. Publishes (the writer only publishes dead letters)
 * are captured.
 */
export interface CapturingBus extends EventBus {
  handler(): BatchHandler;
  subscribed: SubscribeOptions[];
  dlq: OutgoingMessage[];
}

export function capturingBus(dlqTopic = 'llm.dlq'): CapturingBus {
  const subscribed: SubscribeOptions[] = [];
  const dlq: OutgoingMessage[] = [];
  return {
    subscribed,
    dlq,
    handler: () => subscribed[subscribed.length - 1].onBatch,
    async publish(topic, messages) {
      assert.equal(topic, dlqTopic);
      dlq.push(...messages);
    },
    async subscribe(opts) {
      subscribed.push(opts);
      return { close: async () => {} };
    },
    async close() {},
  };
}

