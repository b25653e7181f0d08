import type { Batch, EventBus, OutgoingMessage, Subscription } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { toDeadLetter } from '../core/dlq.ts';
import type { Logger } from '../core/logger.ts';
import { encodeEnriched } from '../core/schema/enriched-trace.ts';
import { enrichMessage } from './enrich-message.ts';
import type { Pricer } from '../core/pricing/pricer.ts';
import { PII_KINDS, zeroCounts, type RedactionCounts } from './redaction/kinds.ts';
import type { RedactionSettings } from './redaction/redaction-settings.ts';

export interface EnricherDeps {
  bus: EventBus;
  registry: AvroRegistry;
  pricer: Pricer;
  log: Logger;
  topics: { raw: string; enriched: string; dlq: string };
  group: string;
  maxBatchSize: number;
  now?: () => number;
  /**
   * Optional PII redaction of input/output/metadata for opted-in features (see
   * redaction/redaction-env.ts for the env form). Absent or `features: 'none'`: off, and
   * events are published exactly as before.
   */
  redaction?: RedactionSettings;
}

export interface EnricherStats {
  consumed: number;
  enriched: number;
  unpriced: number;
  deadLettered: number;
  /** Events whose feature is opted in to redaction (scanned, whether or not PII was found). */
  redactionScanned: number;
  /** Spans redacted per kind, across all events. */
  redactions: RedactionCounts;
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
  const stats: EnricherStats = { consumed: 0, enriched: 0, unpriced: 0, deadLettered: 0, redactionScanned: 0, redactions: zeroCounts() };
  let subscription: Subscription | null = null;

  async function onBatch(batch: Batch): Promise<void> {
    const enriched: OutgoingMessage[] = [];
    const dead: OutgoingMessage[] = [];
    const t = now();
    let unpriced = 0;
    let scanned = 0;
    const redactions = zeroCounts();
    for (const message of batch.messages) {
      try {
        const found: RedactionCounts[] = [];
        const value = enrichMessage(message, { registry: deps.registry, pricer: deps.pricer, now: t, redaction: deps.redaction, onRedacted: (c) => found.push(c) });
        if (value.pricing_status === 'unpriced') unpriced++;
        enriched.push({ key: value.event.trace_id, value: encodeEnriched(deps.registry, value) });
        // Counted only once the message is on its way to the enriched topic, not the DLQ.
        for (const c of found) {
          scanned++;
          for (const kind of PII_KINDS) redactions[kind] += c[kind];
        }
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
    stats.redactionScanned += scanned;
    for (const kind of PII_KINDS) stats.redactions[kind] += redactions[kind];
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
      log.info({ topic: deps.topics.raw, group: deps.group, redaction: deps.redaction ?? 'off' }, 'enricher consuming');
    },
    async stop() {
      await subscription?.close();
      subscription = null;
      log.info(stats, 'enricher stopped');
    },
    stats: () => ({ ...stats, redactions: { ...stats.redactions } }),
  };
}
