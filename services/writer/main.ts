import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { httpStoreFromConfig, kafkaBusFromConfig, migrate } from '../core/wiring.ts';
import { writerFromConfig } from './factory.ts';

/** `npm run service -- writer`: llm.traces.enriched + llm.dlq → ClickHouse. Applies migrations at start. */
export async function start(config: Config, log: Logger): Promise<RunningService> {
  const store = httpStoreFromConfig(config, log.child({ component: 'store' }));
  await migrate(store, config, log);
  const bus = kafkaBusFromConfig(config, log);
  const writer = writerFromConfig({ config, log, bus, store, registry: loadAvroRegistry() }, { afterInsert: killAfterInserts(config.FAULT_WRITER_KILL_AFTER_INSERTS, log) });
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

/** Fault injection for the crash-between-insert-and-commit test; off unless configured. */
function killAfterInserts(n: number | undefined, log: Logger): (() => void) | undefined {
  if (n === undefined) return undefined;
  let inserts = 0;
  log.warn({ n }, 'FAULT_WRITER_KILL_AFTER_INSERTS is set: this writer will SIGKILL itself after that many inserts');
  return () => {
    if (++inserts === n) process.kill(process.pid, 'SIGKILL');
  };
}
