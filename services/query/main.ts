import { authFromConfig } from '../core/auth/from-config.ts';
import type { Config } from '../core/config.ts';
import { drainPeriod, type RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { httpStoreFromConfig, migrate } from '../core/wiring.ts';
import { buildQueryApp } from './app.ts';

/** `npm run service -- query`: the query API (REST over the rollups) on PORT. */
export async function start(config: Config, log: Logger): Promise<RunningService> {
  let ready = false;
  // First: a non-loopback HOST without API keys refuses to start before connecting to anything.
  const auth = authFromConfig(config, log);
  const store = httpStoreFromConfig(config, log.child({ component: 'store' }));
  await migrate(store, config, log);
  const app = buildQueryApp({ store, log, ready: () => ready, auth });
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  log.info({ address }, 'query API listening');
  ready = true;
  return {
    ready: () => ready,
    async stop() {
      ready = false;
      await drainPeriod(config.SHUTDOWN_DRAIN_MS);
      await app.close();
      await store.close();
    },
  };
}
