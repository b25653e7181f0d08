import { join, resolve } from 'node:path';
import type { Config } from './config.ts';
import { migrationVars } from './config.ts';
import { createKafkaBus } from './bus/kafka-bus.ts';
import type { EventBus } from './bus/event-bus.ts';
import { ErrorCodes, PipelineError } from './errors.ts';
import type { Logger } from './logger.ts';
import { createClickHouseStore } from './store/clickhouse-store.ts';
import { createEmbeddedClient, createHttpClient } from './store/clients.ts';
import { applyMigrations } from './store/migrations.ts';
import type { Store } from './store/store.ts';
import { loadPriceTable } from './pricing/price-table.ts';
import { createPricer, type Pricer } from './pricing/pricer.ts';

/** Builders shared by the service mains: config in, adapters out. No env reads here. */
export const REPO_ROOT = join(import.meta.dirname, '../..');
export const MIGRATIONS_DIR = join(REPO_ROOT, 'schemas/clickhouse');

export function topicsOf(c: Config): { raw: string; enriched: string; dlq: string; scores: string; alerts: string } {
  return { raw: c.TOPIC_RAW, enriched: c.TOPIC_ENRICHED, dlq: c.TOPIC_DLQ, scores: c.TOPIC_SCORES, alerts: c.TOPIC_ALERTS };
}

/** A Kafka bus; distributed services cannot run without brokers. */
export function kafkaBusFromConfig(c: Config, log: Logger): EventBus {
  if (!c.KAFKA_BROKERS || c.KAFKA_BROKERS.length === 0) {
    throw new PipelineError(ErrorCodes.CONFIG_INVALID, 'KAFKA_BROKERS is required for a service run on its own (e.g. KAFKA_BROKERS=127.0.0.1:9092); `npm start` runs everything in one process without Kafka');
  }
  const t = topicsOf(c);
  return createKafkaBus({
    brokers: c.KAFKA_BROKERS,
    clientId: c.KAFKA_CLIENT_ID,
    sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: Math.min(c.KAFKA_HEARTBEAT_INTERVAL_MS, Math.floor(c.KAFKA_SESSION_TIMEOUT_MS / 3)),
    partitionsConsumedConcurrently: c.KAFKA_PARTITIONS_CONCURRENTLY,
    maxBytes: c.KAFKA_FETCH_MAX_BYTES,
    maxBytesPerPartition: Math.min(c.KAFKA_FETCH_MAX_BYTES_PER_PARTITION, c.KAFKA_FETCH_MAX_BYTES),
    log,
    createTopics: [t.raw, t.enriched, t.dlq, t.scores, t.alerts].map((name) => ({ name, partitions: c.TOPIC_PARTITIONS })),
  });
}

/**
 * The store over HTTP: CLICKHOUSE_URL (a ClickHouse server), or by default the embedded
 * engine served by `npm run service -- clickhouse` on CLICKHOUSE_HTTP_HOST:PORT, reached
 * with the service credential.
 */
export function httpStoreFromConfig(c: Config, log: Logger): Store {
  let target: { url: string; username: string; password: string };
  if (c.CLICKHOUSE_URL) {
    target = { url: c.CLICKHOUSE_URL, username: c.CLICKHOUSE_USER, password: c.CLICKHOUSE_PASSWORD };
  } else if (c.CLICKHOUSE_SERVICE_PASSWORD) {
    target = { url: `http://${c.CLICKHOUSE_HTTP_HOST}:${c.CLICKHOUSE_HTTP_PORT}`, username: c.CLICKHOUSE_SERVICE_USER, password: c.CLICKHOUSE_SERVICE_PASSWORD };
  } else {
    throw new PipelineError(
      ErrorCodes.CONFIG_INVALID,
      'no ClickHouse configured: set CLICKHOUSE_URL (+ CLICKHOUSE_USER/CLICKHOUSE_PASSWORD) for a ClickHouse server, or CLICKHOUSE_SERVICE_PASSWORD to use the embedded engine served by `npm run service -- clickhouse`',
    );
  }
  const client = createHttpClient({ ...target, database: c.CLICKHOUSE_DATABASE, requestTimeoutMs: c.CLICKHOUSE_REQUEST_TIMEOUT_MS });
  return createClickHouseStore({ client, log, embedded: false });
}

/** The embedded engine in this process, on DATA_DIR. */
export function embeddedStoreFromConfig(c: Config, log: Logger): Store {
  return createClickHouseStore({ client: createEmbeddedClient({ dataDir: c.DATA_DIR }), log, embedded: true });
}

export async function migrate(store: Store, c: Config, log: Logger): Promise<void> {
  await applyMigrations(store, { dir: MIGRATIONS_DIR, vars: migrationVars(c), log });
}

export function pricerFromConfig(c: Config): Pricer {
  const table = loadPriceTable({ baseFile: resolve(REPO_ROOT, c.PRICE_TABLE), overridesFile: c.PRICES_FILE });
  return createPricer(table);
}
