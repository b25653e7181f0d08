import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { kafkaBusFromConfig } from '../core/wiring.ts';
import { enricherFromConfig } from './factory.ts';

/** `npm run service -- enricher`: llm.traces.raw → price → llm.traces.enriched / llm.dlq. */
export async function start(config: Config, log: Logger): Promise<RunningService> {
  const bus = kafkaBusFromConfig(config, log); // connects on first use: a bad REDACT_* variable below has opened nothing
  const enricher = enricherFromConfig({ config, log, bus, registry: loadAvroRegistry() });
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
