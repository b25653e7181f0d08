import type { Batch, EventBus, Subscription } from '../../core/bus/event-bus.ts';
import type { AvroRegistry } from '../../core/codec/avro-registry.ts';
import type { Logger } from '../../core/logger.ts';
import { decodeEnriched } from '../../core/schema/enriched-trace.ts';
import { decodeScore } from '../../core/schema/score.ts';
import type { MinuteAggregator } from '../minute-aggregator.ts';
import type { ServiceCounters } from './counters.ts';

/**
 * The anomaly service's input: its own consumer group on llm.traces.enriched and
 * llm.scores, each batch decoded into the per-minute aggregator.
 */
export interface InputTopics {
  enriched: string;
  scores: string;
}

export interface BatchDeps {
  registry: AvroRegistry;
  topics: InputTopics;
  aggregator: Pick<MinuteAggregator, 'addTrace' | 'addScore'>;
  counters: ServiceCounters;
  log: Logger;
}

/** Adds a batch to the aggregator: traces from the enriched topic, scores from the other. A message that does not decode is counted, logged and skipped. */
export function addBatch(batch: Batch, deps: BatchDeps): void {
  for (const m of batch.messages) {
    try {
      if (m.topic === deps.topics.enriched) {
        deps.aggregator.addTrace(decodeEnriched(deps.registry, m.value));
        deps.counters.consumed_traces++;
      } else {
        deps.aggregator.addScore(decodeScore(deps.registry, m.value));
        deps.counters.consumed_scores++;
      }
    } catch (err) {
      deps.counters.undecodable++;
      deps.log.warn({ err, topic: m.topic, partition: m.partition, offset: m.offset }, 'skipping a message that does not decode');
    }
  }
}

export function consumeInputs(bus: EventBus, opts: { topics: InputTopics; group: string; batchSize?: number }, onBatch: (batch: Batch) => void): Promise<Subscription> {
  return bus.subscribe({
    topics: [opts.topics.enriched, opts.topics.scores],
    group: opts.group,
    maxBatchSize: opts.batchSize ?? 2_000,
    // Not on the acknowledged path: ingest never waits for anomaly detection.
    awaitedByPublishers: false,
    // A new group starts at the end: history comes from the rollups, not the topic.
    fromBeginning: false,
    onBatch: async (batch) => onBatch(batch),
  });
}
