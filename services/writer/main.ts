import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { httpStoreFromConfig, kafkaBusFromConfig, migrate, topicsOf } from '../core/wiring.ts';
import { createWriter } from './writer.ts';

/** `npm run service -- writer`: llm.traces.enriched + llm.dlq → ClickHouse. Applies migrations at start. */
export async function start(config: Config, log: Logger): Promise<RunningService> {
  const store = httpStoreFromConfig(config, log.child({ component: 'store' }));
  await migrate(store, config, log);
  const bus = kafkaBusFromConfig(config, log);
  const writer = createWriter({
    bus,
    store,
    registry: loadAvroRegistry(),
    log,
    topics: topicsOf(config),
    group: config.WRITER_GROUP,
    batchSize: config.WRITER_BATCH_SIZE,
    maxDelayMs: config.WRITER_MAX_DELAY_MS,
  });
  await writer.start();
  let ready = true;
  return {
    ready: () => ready,
    async stop() {
      ready = false;
      await writer.stop();
      await bus.close();
      await store.close();
    },
  };
}
