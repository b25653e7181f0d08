import type { EventBus } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Pricer } from '../core/pricing/pricer.ts';
import { pricerFromConfig, topicsOf } from '../core/wiring.ts';
import { createEnricher, type Enricher } from './enricher.ts';
import { parseRedactionEnv } from './redaction/redaction-env.ts';

export interface EnricherFactoryDeps {
  config: Config;
  log: Logger;
  bus: EventBus;
  registry: AvroRegistry;
  /** The price table, when the process shares one with the evaluator; loaded from PRICE_TABLE/PRICES_FILE otherwise. */
  pricer?: Pricer;
}

/**
 * The enricher as both entries run it: llm.traces.raw → validate, price, redact →
 * llm.traces.enriched | llm.dlq. Building it validates the REDACT_* settings and the
 * price files, so call it before opening anything a bad setting should not leave open.
 */
export function enricherFromConfig(deps: EnricherFactoryDeps): Enricher {
  const c = deps.config;
  const redaction = parseRedactionEnv(c); // throws naming a bad REDACT_* variable
  return createEnricher({
    bus: deps.bus,
    registry: deps.registry,
    pricer: deps.pricer ?? pricerFromConfig(c),
    log: deps.log,
    topics: topicsOf(c),
    group: c.ENRICHER_GROUP,
    maxBatchSize: c.ENRICHER_BATCH_SIZE,
    redaction,
  });
}
