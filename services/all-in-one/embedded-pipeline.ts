import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { authFromConfig } from '../core/auth/from-config.ts';
import type { Config } from '../core/config.ts';
import { registerHealthRoutes } from '../core/health.ts';
import { createHttpApp } from '../core/http-app.ts';
import { drainPeriod, type RunningService, type ServiceEnv } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { embeddedStoreFromConfig, migrate, pricerFromConfig } from '../core/wiring.ts';
import { anomalyFromConfig, type Anomaly } from '../anomaly/factory.ts';
import { clickHouseHttpFromConfig } from '../clickhouse-http/factory.ts';
import { enricherFromConfig } from '../enricher/factory.ts';
import { evaluatorFromConfig } from '../evaluator/factory.ts';
import type { Admission } from '../ingest/admission.ts';
import { registerIngest, startOtlpGrpcFromConfig } from '../ingest/factory.ts';
import type { OtlpGrpcServer } from '../ingest/otlp/otlp-grpc.ts';
import { watchWriteSpace } from '../core/store/write-space.ts';
import { registerQueryRoutes } from '../query/routes.ts';
import { writerFromConfig } from '../writer/factory.ts';

export interface EmbeddedPipeline extends RunningService {
  /** Where the HTTP API and the ClickHouse HTTP interface listen. */
  apiUrl: string;
  clickhouseUrl: string;
  /** The OTLP/gRPC port (OTLP_GRPC_PORT), null when off. */
  otlpGrpcPort: number | null;
  app: FastifyInstance;
  /** The anomaly service (null with ANOMALY_ENABLED=false). */
  anomaly: Anomaly | null;
  /** Ingest's admission bounds (INGEST_MAX_PENDING_EVENTS, INGEST_MAX_CONCURRENT_REQUESTS) and counters. */
  admission: Admission;
}

export interface EmbeddedOptions {
  /** Where eval rules' api_key_env and alert receivers' url_env names are looked up. */
  env?: ServiceEnv;
  /** Clock of the anomaly service (tests simulate time). */
  now?: () => number;
  /** Anomaly tick schedule; null: only explicit `anomaly.tick()` calls (tests). */
  anomalyTickCron?: string | null;
}

/**
 * Every service in one process, built by the same factories the distributed entry uses
 * (services/<name>/factory.ts), over the in-process bus (publish waits until the writer
 * has inserted, so a 2xx at ingest means the events are in ClickHouse) and the embedded
 * ClickHouse engine on DATA_DIR, also served on the ClickHouse HTTP interface.
 * Start order: store → migrations → writer → enricher → evaluator → anomaly → HTTP; stop in reverse.
 */
export async function startEmbeddedPipeline(config: Config, log: Logger, options: EmbeddedOptions = {}): Promise<EmbeddedPipeline> {
  const env = options.env ?? {};
  const auth = authFromConfig(config, log); // a non-loopback HOST without keys refuses to start, before anything runs
  // One registry for every stage of this process: what one stage encodes, the next reads
  // back without decoding, and no Avro bytes are made unless a dead letter needs them.
  const registry = loadAvroRegistry(undefined, { rememberEncoded: true, encodeOnDemand: true });
  const pricer = pricerFromConfig(config);
  const bus = createMemoryBus({ waitForConsumers: true, requireConsumers: true, partitions: config.EMBEDDED_BUS_PARTITIONS, log: log.child({ component: 'bus' }), defaultMaxBatchSize: config.ENRICHER_BATCH_SIZE });
  // Built before anything opens: a bad REDACT_* variable or eval rule stops the start here.
  const enricher = enricherFromConfig({ config, log, bus, registry, pricer });
  const evaluator = evaluatorFromConfig({ config, log, bus, registry, pricer, env });

  mkdirSync(config.DATA_DIR, { recursive: true });
  let ready = false;
  // Its inserts are watched for a full disk, so ingest can say so at once (write-space.ts).
  const { store, space } = watchWriteSpace(embeddedStoreFromConfig(config, log.child({ component: 'store' })));
  await migrate(store, config, log);
  // The query API gets its own connection to the engine: a chDB connection runs one
  // statement at a time, so on the pipeline's one it would wait behind every insert.
  const queryStore = embeddedStoreFromConfig(config, log.child({ component: 'query-store' }));
  const writer = writerFromConfig({ config, log, bus, store, registry }, { embedded: true });
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
  let anomaly: Anomaly | null = null;
  if (config.ANOMALY_ENABLED) {
    try {
      anomaly = anomalyFromConfig({ config, log, bus, store, registry, env }, { publishAlerts: false, now: options.now, tickCron: options.anomalyTickCron });
      await anomaly.start();
    } catch (err) {
      await stopCore();
      throw err;
    }
  }

  const app = createHttpApp({ log, bodyLimit: config.INGEST_MAX_BODY_BYTES, auth });
  registerHealthRoutes(app, [() => ready, () => store.ping()]);
  const admission = registerIngest(app, { config, log, bus, registry, space });
  registerQueryRoutes(app, { store: queryStore, log });
  // The SQL port first: if it is taken, nothing is listening yet and we fail cleanly.
  const chApp = clickHouseHttpFromConfig(config, log);
  let chAddress: string;
  let apiAddress: string;
  let grpc: OtlpGrpcServer | null = null;
  try {
    chAddress = await chApp.listen({ host: config.CLICKHOUSE_HTTP_HOST, port: config.CLICKHOUSE_HTTP_PORT });
    apiAddress = await app.listen({ host: config.HOST, port: config.PORT });
    grpc = await startOtlpGrpcFromConfig({ config, log, bus, registry, admission, space, keys: auth?.keys });
  } catch (err) {
    await Promise.allSettled([app.close(), chApp.close(), grpc?.stop()]);
    await anomaly?.stop();
    await stopCore();
    throw err;
  }
  ready = true;

  return {
    app,
    anomaly,
    admission,
    apiUrl: apiAddress,
    otlpGrpcPort: grpc?.port ?? null,
    clickhouseUrl: chAddress,
    ready: () => ready,
    async stop() {
      ready = false;
      await drainPeriod(config.SHUTDOWN_DRAIN_MS);
      await grpc?.stop();
      await app.close(); // no new ingest; in-flight requests finish
      await chApp.close();
      await anomaly?.stop();
      await stopCore();
    },
  };
}
