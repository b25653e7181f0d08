import type { Batch, EventBus, OutgoingMessage, Subscription } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { toDeadLetter } from '../core/dlq.ts';
import type { Logger } from '../core/logger.ts';
import { encodeEnriched } from '../core/schema/enriched-trace.ts';
import { enrichMessage } from './enrich-message.ts';
import type { Pricer } from './pricing/pricer.ts';

export interface EnricherDeps {
  bus: EventBus;
  registry: AvroRegistry;
  pricer: Pricer;
  log: Logger;
  topics: { raw: string; enriched: string; dlq: string };
  group: string;
  maxBatchSize: number;
  now?: () => number;
}

export interface EnricherStats {
  consumed: number;
  enriched: number;
  unpriced: number;
  deadLettered: number;
}

export interface Enricher {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): EnricherStats;
}

/**
 * Consumes llm.traces.raw; publishes priced events to llm.traces.enriched and anything
 * it cannot process to llm.dlq. The batch is acknowledged (committed) only after both
 * publishes resolved, so a crash replays it rather than losing it.
 */
export function createEnricher(deps: EnricherDeps): Enricher {
  const log = deps.log.child({ component: 'enricher' });
  const now = deps.now ?? Date.now;
  const stats: EnricherStats = { consumed: 0, enriched: 0, unpriced: 0, deadLettered: 0 };
  let subscription: Subscription | null = null;

  async function onBatch(batch: Batch): Promise<void> {
    const enriched: OutgoingMessage[] = [];
    const dead: OutgoingMessage[] = [];
    const t = now();
    let unpriced = 0;
    for (const message of batch.messages) {
      try {
        const value = enrichMessage(message, { registry: deps.registry, pricer: deps.pricer, now: t });
        if (value.pricing_status === 'unpriced') unpriced++;
        enriched.push({ key: value.event.trace_id, value: encodeEnriched(deps.registry, value) });
      } catch (err) {
        dead.push(toDeadLetter(message, 'enricher', err, t));
      }
    }
    await Promise.all([
      enriched.length > 0 ? deps.bus.publish(deps.topics.enriched, enriched) : undefined,
      dead.length > 0 ? deps.bus.publish(deps.topics.dlq, dead) : undefined,
    ]);
    stats.consumed += batch.messages.length;
    stats.enriched += enriched.length;
    stats.unpriced += unpriced;
    stats.deadLettered += dead.length;
    if (dead.length > 0) {
      log.warn({ partition: batch.partition, count: dead.length, firstReason: dead[0].headers?.['dlq.reason'] }, 'messages sent to the DLQ');
    }
  }

  return {
    async start() {
      subscription = await deps.bus.subscribe({
        topics: [deps.topics.raw],
        group: deps.group,
        onBatch,
        maxBatchSize: deps.maxBatchSize,
      });
      log.info({ topic: deps.topics.raw, group: deps.group }, 'enricher consuming');
    },
    async stop() {
      await subscription?.close();
      subscription = null;
      log.info(stats, 'enricher stopped');
    },
    stats: () => ({ ...stats }),
  };
}
