import { join, resolve } from 'node:path';
import type { EventBus } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { httpStoreFromConfig, kafkaBusFromConfig, REPO_ROOT } from '../core/wiring.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { createAlertSink } from './alert-sink.ts';
import type { AlertsFile } from './config/alerts-file.ts';
import type { Digest } from './digest.ts';
import { loadAlertsFile } from './config/load.ts';
import { createNotifier } from './notify/notifier.ts';
import { createAnomalyService, type AnomalyService, type AnomalyStats } from './service.ts';

/**
 * `npm run service -- anomaly`: llm.traces.enriched + llm.scores → per-minute aggregates
 * → learned detectors and static rules → `alerts` table, llm.alerts, Slack/webhooks.
 */
export interface RunningAnomaly extends RunningService {
  stats(): AnomalyStats;
  tick(): Promise<void>;
  sendDigest(): Promise<Digest>;
}

/** The service and its notifier on a given bus and store (Kafka + HTTP here; in-process in the all-in-one). */
export async function startAnomaly(opts: {
  config: Config;
  bus: EventBus;
  store: Store;
  registry: AvroRegistry;
  log: Logger;
  /** Publish alert changes on TOPIC_ALERTS (false in embedded mode: nothing consumes it there). */
  publishAlerts: boolean;
  /** Environment for receivers' url_env lookups (never logged). */
  env: Readonly<Record<string, string | undefined>>;
  file?: AlertsFile;
  now?: () => number;
  tickCron?: string | null;
}): Promise<RunningAnomaly> {
  const c = opts.config;
  const file = opts.file ?? loadAlertsFile(resolve(REPO_ROOT, c.ALERTS_FILE));
  const log = opts.log.child({ component: 'anomaly' });
  const notifier = createNotifier({
    outboxDir: c.ALERTS_OUTBOX_DIR ? resolve(c.ALERTS_OUTBOX_DIR) : join(resolve(c.DATA_DIR), 'alerts-outbox'),
    file,
    env: opts.env,
    log,
    now: opts.now,
  });
  await notifier.start();
  let service: AnomalyService;
  try {
    service = createAnomalyService({
      bus: opts.bus,
      store: opts.store,
      registry: opts.registry,
      log: opts.log, // the service names its own component
      sink: createAlertSink({ store: opts.store, bus: opts.publishAlerts ? opts.bus : undefined, topic: c.TOPIC_ALERTS }),
      notifier,
      file,
      topics: { enriched: c.TOPIC_ENRICHED, scores: c.TOPIC_SCORES },
      group: c.ANOMALY_GROUP,
      batchSize: c.ANOMALY_BATCH_SIZE,
      tickCron: opts.tickCron === undefined ? c.ANOMALY_TICK_CRON : opts.tickCron,
      warmDays: c.ANOMALY_WARM_DAYS,
      catchupMinutes: c.ANOMALY_CATCHUP_MINUTES,
      now: opts.now,
    });
    await service.start();
  } catch (err) {
    await notifier.stop();
    throw err;
  }
  let ready = true;
  return {
    ready: () => ready,
    stats: () => service.stats(),
    tick: () => service.tick(),
    sendDigest: () => service.sendDigest(),
    async stop() {
      ready = false;
      await service.stop();
      await notifier.stop();
    },
  };
}

export async function start(config: Config, log: Logger): Promise<RunningAnomaly> {
  // Validate the alerts file (and receivers' variables) before any connection.
  const file = loadAlertsFile(resolve(REPO_ROOT, config.ALERTS_FILE));
  const bus = kafkaBusFromConfig(config, log);
  const store = httpStoreFromConfig(config, log);
  try {
    const running = await startAnomaly({ config, bus, store, registry: loadAvroRegistry(), log, publishAlerts: true, env: process.env, file });
    return {
      ...running,
      async stop() {
        await running.stop();
        await bus.close();
        await store.close();
      },
    };
  } catch (err) {
    await bus.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}
