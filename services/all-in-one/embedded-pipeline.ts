import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { authFromConfig } from '../core/auth/from-config.ts';
import type { Config } from '../core/config.ts';
import { registerHealthRoutes } from '../core/health.ts';
import { createHttpApp } from '../core/http-app.ts';
import { drainPeriod, type RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { embeddedStoreFromConfig, migrate, pricerFromConfig, redactionFromConfig, topicsOf } from '../core/wiring.ts';
import { buildClickHouseHttpInterface } from '../clickhouse-http/http-interface.ts';
import { createEnricher } from '../enricher/enricher.ts';
import { startAnomaly, type RunningAnomaly } from '../anomaly/main.ts';
import { evaluatorFromSettings, settingsFromConfig } from '../evaluator/main.ts';
import { registerFeedbackRoutes } from '../ingest/feedback-routes.ts';
import { registerIngestRoutes } from '../ingest/routes.ts';
import { registerQueryRoutes } from '../query/routes.ts';
import { createMemoryBatchLog } from '../writer/batch-log.ts';
import { repairRollups } from '../writer/rollup-repair.ts';
import { createWriter } from '../writer/writer.ts';

export interface EmbeddedPipeline extends RunningService {
  /** Where the HTTP API and the ClickHouse HTTP interface listen. */
  apiUrl: string;
  clickhouseUrl: string;
  app: FastifyInstance;
  /** The anomaly service (null with ANOMALY_ENABLED=false). */
  anomaly: RunningAnomaly | null;
}

export interface EmbeddedOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Clock of the anomaly service (tests simulate time). */
  now?: () => number;
  /** Anomaly tick schedule; null: only explicit `anomaly.tick()` calls (tests). */
  anomalyTickCron?: string | null;
}

/**
 * Every service in one process: in-process bus (publish waits until the writer has
 * inserted, so a 2xx at ingest means the events are in ClickHouse) and the embedded
 * ClickHouse engine on DATA_DIR, also served on the ClickHouse HTTP interface.
 * Start order: store → migrations → writer → enricher → evaluator → anomaly → HTTP; stop in reverse.
 */
export async function startEmbeddedPipeline(config: Config, log: Logger, options: EmbeddedOptions = {}): Promise<EmbeddedPipeline> {
  const auth = authFromConfig(config, log); // a non-loopback HOST without keys refuses to start, before anything runs
  const redaction = redactionFromConfig(config); // a bad REDACT_* variable stops the start before anything opens
  mkdirSync(config.DATA_DIR, { recursive: true });
  let ready = false;
  const store = embeddedStoreFromConfig(config, log.child({ component: 'store' }));
  await migrate(store, config, log);
  // The query API gets its own connection to the engine: a chDB connection runs one
  // statement at a time, so on the pipeline's one it would wait behind every insert.
  const queryStore = embeddedStoreFromConfig(config, log.child({ component: 'query-store' }));
  // One registry for every stage of this process: what one stage encodes, the next reads back without decoding.
  const registry = loadAvroRegistry(undefined, { rememberEncoded: true });
  const pricer = pricerFromConfig(config);
  const topics = topicsOf(config);
  const bus = createMemoryBus({ waitForConsumers: true, requireConsumers: true, partitions: config.EMBEDDED_BUS_PARTITIONS, log: log.child({ component: 'bus' }), defaultMaxBatchSize: config.ENRICHER_BATCH_SIZE });

  const writer = createWriter({
    bus,
    store,
    registry,
    log,
    topics,
    group: config.WRITER_GROUP,
    batchSize: config.WRITER_BATCH_SIZE,
    maxDelayMs: config.WRITER_MAX_DELAY_MS,
    dedupWindow: config.WRITER_DEDUP_WINDOW,
    dedupWarmMinutes: config.WRITER_DEDUP_WARM_MINUTES,
    // The in-process bus restarts its offsets at 0: a persisted batch log, or tokens made of
    // offsets alone, would match a new run's messages to the last run's batches, and
    // ClickHouse would drop them as duplicates.
    batchLog: createMemoryBatchLog(),
    tokenEpoch: `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  });
  const enricher = createEnricher({ bus, registry, pricer, log, topics, group: config.ENRICHER_GROUP, maxBatchSize: config.ENRICHER_BATCH_SIZE, redaction });
  // Judge API keys are looked up by the env var names the rules file chooses.
  const evaluator = evaluatorFromSettings({ bus, registry, pricer, log, topics, settings: { ...settingsFromConfig(config), env: options.env ?? {} } });
  // A previous run killed between an insert's traces part and its rollup views' parts
  // left buckets behind; the client's retry of those events will be dropped as a repeat.
  if (config.WRITER_DEDUP_WARM_MINUTES > 0) await repairRollups(store, { sinceMs: Date.now() - (config.WRITER_DEDUP_WARM_MINUTES + 1) * 60_000, log });
  await writer.start();
  await enricher.start();
  await evaluator.start();
  /** Stops the consumers and adapters started above, in reverse order. */
  const stopCore = async () => {
    await evaluator.stop();
    await enricher.stop();
    await writer.stop();
    await bus.close();
    await queryStore.close();
    await store.close();
  };
  // Alert changes are stored, not published: nothing consumes an in-process llm.alerts.
  const anomaly = config.ANOMALY_ENABLED
    ? await startAnomaly({ config, bus, store, registry, log, publishAlerts: false, env: options.env ?? {}, now: options.now, tickCron: options.anomalyTickCron }).catch(async (err: unknown) => {
        await stopCore();
        throw err;
      })
    : null;

  const app = createHttpApp({ log, bodyLimit: config.INGEST_MAX_BODY_BYTES, auth });
  registerHealthRoutes(app, [() => ready, () => store.ping()]);
  registerIngestRoutes(app, {
    bus,
    registry,
    log,
    topic: topics.raw,
    maxEvents: config.INGEST_MAX_EVENTS,
    publishFormat: config.INGEST_PUBLISH_FORMAT,
    ackTimeoutMs: config.INGEST_ACK_TIMEOUT_MS,
  });
  registerFeedbackRoutes(app, { bus, registry, log, topic: topics.scores, ackTimeoutMs: config.INGEST_ACK_TIMEOUT_MS, maxItems: config.INGEST_MAX_EVENTS });
  registerQueryRoutes(app, { store: queryStore, log });
  // The SQL port first: if it is taken, nothing is listening yet and we fail cleanly.
  const chApp = buildClickHouseHttpInterface({
    dataDir: config.DATA_DIR,
    serviceUser: config.CLICKHOUSE_SERVICE_PASSWORD ? { username: config.CLICKHOUSE_SERVICE_USER, password: config.CLICKHOUSE_SERVICE_PASSWORD } : undefined,
    log: log.child({ component: 'clickhouse-http' }),
  });
  let chAddress: string;
  let apiAddress: string;
  try {
    chAddress = await chApp.listen({ host: config.CLICKHOUSE_HTTP_HOST, port: config.CLICKHOUSE_HTTP_PORT });
    apiAddress = await app.listen({ host: config.HOST, port: config.PORT });
  } catch (err) {
    await Promise.allSettled([app.close(), chApp.close()]);
    await anomaly?.stop();
    await stopCore();
    throw err;
  }
  ready = true;

  return {
    app,
    anomaly,
    apiUrl: apiAddress,
    clickhouseUrl: chAddress,
    ready: () => ready,
    async stop() {
      ready = false;
      await drainPeriod(config.SHUTDOWN_DRAIN_MS);
      await app.close(); // no new ingest; in-flight requests finish
      await chApp.close();
      await anomaly?.stop();
      await stopCore();
    },
  };
}
