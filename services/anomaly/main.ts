import { resolve } from 'node:path';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { RunningService, ServiceEnv } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { httpStoreFromConfig, kafkaBusFromConfig, REPO_ROOT } from '../core/wiring.ts';
import { loadAlertsFile } from './config/load.ts';
import { anomalyFromConfig } from './factory.ts';

/**
 * `npm run service -- anomaly`: llm.traces.enriched + llm.scores → per-minute aggregates
 * → learned detectors and static rules → `alerts` table, llm.alerts, Slack/webhooks.
 */
export async function start(config: Config, log: Logger, env: ServiceEnv): Promise<RunningService> {
  // Validate the alerts file (and receivers' variables) before any connection.
  const file = loadAlertsFile(resolve(REPO_ROOT, config.ALERTS_FILE));
  const bus = kafkaBusFromConfig(config, log);
  const store = httpStoreFromConfig(config, log);
  const anomaly = anomalyFromConfig({ config, log, bus, store, registry: loadAvroRegistry(), env }, { publishAlerts: true, file });
  try {
    await anomaly.start();
  } catch (err) {
    await bus.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
  let ready = true;
  return {
    ready: () => ready,
    async stop() {
      ready = false;
      await anomaly.stop();
      await bus.close();
      await store.close();
    },
  };
}
