import { mkdirSync } from 'node:fs';
import type { Config } from '../core/config.ts';
import { ErrorCodes, PipelineError } from '../core/errors.ts';
import type { RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { embeddedStoreFromConfig, migrate } from '../core/wiring.ts';
import { clickHouseHttpFromConfig } from './factory.ts';

/**
 * `npm run service -- clickhouse`: the embedded engine on DATA_DIR served over the
 * ClickHouse HTTP interface, so separate service processes share it as they would a
 * ClickHouse server (writers use the service credential; analysts are read-only).
 */
export async function start(config: Config, log: Logger): Promise<RunningService> {
  if (!config.CLICKHOUSE_SERVICE_PASSWORD) {
    throw new PipelineError(ErrorCodes.CONFIG_INVALID, 'CLICKHOUSE_SERVICE_PASSWORD is required: the credential the writer and query services use to reach this engine');
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  // Apply the schema here too: this process owns the data directory.
  const store = embeddedStoreFromConfig(config, log.child({ component: 'store' }));
  await migrate(store, config, log);
  const app = clickHouseHttpFromConfig(config, log);
  const address = await app.listen({ host: config.CLICKHOUSE_HTTP_HOST, port: config.CLICKHOUSE_HTTP_PORT });
  log.info({ address, dataDir: config.DATA_DIR }, 'ClickHouse HTTP interface listening');
  let ready = true;
  return {
    ready: () => ready,
    async stop() {
      ready = false;
      await app.close();
      await store.close();
    },
  };
}
