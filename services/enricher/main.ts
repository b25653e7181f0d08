import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { kafkaBusFromConfig, pricerFromConfig, redactionFromConfig, topicsOf } from '../core/wiring.ts';
import { createEnricher } from './enricher.ts';

/** `npm run service -- enricher`: llm.traces.raw → price → llm.traces.enriched / llm.dlq. */
export async function start(config: Config, log: Logger): Promise<RunningService> {
  const redaction = redactionFromConfig(config); // a bad REDACT_* variable stops the start here
  const bus = kafkaBusFromConfig(config, log);
  const enricher = createEnricher({
    redaction,
    bus,
    registry: loadAvroRegistry(),
    pricer: pricerFromConfig(config),
    log,
    topics: topicsOf(config),
    group: config.ENRICHER_GROUP,
    maxBatchSize: config.ENRICHER_BATCH_SIZE,
  });
  await enricher.start();
  let ready = true;
  return {
    ready: () => ready,
    async stop() {
      ready = false;
      await enricher.stop();
      await bus.close();
    },
  };
}
