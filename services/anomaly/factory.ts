import { join, resolve } from 'node:path';
import type { EventBus } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { ServiceEnv } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { REPO_ROOT } from '../core/wiring.ts';
import { createAlertSink } from './alert-sink.ts';
import type { AlertsFile } from './config/alerts-file.ts';
import { loadAlertsFile } from './config/load.ts';
import type { Digest } from './digest.ts';
import { createNotifier, type Notifier } from './notify/notifier.ts';
import { createAnomalyService, type AnomalyService, type AnomalyStats } from './service.ts';

export interface AnomalyFactoryDeps {
  config: Config;
  log: Logger;
  bus: EventBus;
  store: Store;
  registry: AvroRegistry;
  /** Where receivers' url_env variables are looked up (never logged). */
  env: ServiceEnv;
}

export interface AnomalyFactoryOptions {
  /** Publish alert changes on TOPIC_ALERTS (false in embedded mode: nothing consumes it there). */
  publishAlerts: boolean;
  /** The alerts file already loaded from ALERTS_FILE (loaded and validated here when absent). */
  file?: AlertsFile;
  /** Clock (tests simulate time). */
  now?: () => number;
  /** Tick schedule; null: only explicit `tick()` calls (tests). Default ANOMALY_TICK_CRON. */
  tickCron?: string | null;
}

export interface Anomaly {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): AnomalyStats;
  tick(): Promise<void>;
  sendDigest(): Promise<Digest>;
}

/**
 * The anomaly service and its notifier as both entries run them: llm.traces.enriched +
 * llm.scores → per-minute aggregates → learned detectors and static rules → `alerts`,
 * llm.alerts, Slack/webhooks. Building it validates the alerts file; `start()` takes the
 * notification outbox (a journal on disk, one process at a time) and starts consuming.
 */
export function anomalyFromConfig(deps: AnomalyFactoryDeps, options: AnomalyFactoryOptions): Anomaly {
  const c = deps.config;
  const file = options.file ?? loadAlertsFile(resolve(REPO_ROOT, c.ALERTS_FILE));
  let notifier: Notifier | null = null;
  let service: AnomalyService | null = null;
  const started = (): AnomalyService => {
    if (!service) throw new Error('the anomaly service is not started');
    return service;
  };
  return {
    async start() {
      const n = createNotifier({
        outboxDir: c.ALERTS_OUTBOX_DIR ? resolve(c.ALERTS_OUTBOX_DIR) : join(resolve(c.DATA_DIR), 'alerts-outbox'),
        file,
        env: deps.env,
        log: deps.log.child({ component: 'anomaly' }),
        now: options.now,
      });
      await n.start();
      try {
        const s = createAnomalyService({
          bus: deps.bus,
          store: deps.store,
          registry: deps.registry,
          log: deps.log, // the service names its own component
          sink: createAlertSink({ store: deps.store, bus: options.publishAlerts ? deps.bus : undefined, topic: c.TOPIC_ALERTS }),
          notifier: n,
          file,
          topics: { enriched: c.TOPIC_ENRICHED, scores: c.TOPIC_SCORES },
          group: c.ANOMALY_GROUP,
          batchSize: c.ANOMALY_BATCH_SIZE,
          tickCron: options.tickCron === undefined ? c.ANOMALY_TICK_CRON : options.tickCron,
          warmDays: c.ANOMALY_WARM_DAYS,
          catchupMinutes: c.ANOMALY_CATCHUP_MINUTES,
          now: options.now,
        });
        await s.start();
        service = s;
        notifier = n;
      } catch (err) {
        await n.stop();
        throw err;
      }
    },
    async stop() {
      await service?.stop();
      await notifier?.stop();
      service = null;
      notifier = null;
    },
    stats: () => started().stats(),
    tick: () => started().tick(),
    sendDigest: () => started().sendDigest(),
  };
}
