/**
 * Which ClickHouse and which transport the DLQ CLI uses, from the Config only (env is
 * read in scripts/dlq.ts). Defaults fit `npm start`: its ClickHouse HTTP interface on
 * CLICKHOUSE_HTTP_HOST:PORT and its HTTP ingest on HOST:PORT.
 *
 * Reading needs no secret: without CLICKHOUSE_URL or CLICKHOUSE_SERVICE_PASSWORD, `list`
 * (and `replay --dry-run`) use the embedded interface's read-only analyst (`default`,
 * no password). A real replay writes its bookkeeping (dlq_replays), so it needs a
 * credential that can write: CLICKHOUSE_SERVICE_PASSWORD as the pipeline was started
 * with, or CLICKHOUSE_URL (+ CLICKHOUSE_USER/PASSWORD) for a ClickHouse server.
 */
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { createClickHouseStore } from '../core/store/clickhouse-store.ts';
import { createHttpClient } from '../core/store/clients.ts';
import type { Store } from '../core/store/store.ts';
import { httpStoreFromConfig, kafkaBusFromConfig } from '../core/wiring.ts';
import { UsageError } from './args.ts';
import { busTarget, httpIngestTarget, type ReplayTarget } from './targets.ts';

export interface StoreConnection {
  store: Store;
  /** For messages: where it connects (never the credential). */
  url: string;
}

function loopbackIfWildcard(host: string): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

export function clickHouseUrl(c: Config): string {
  return c.CLICKHOUSE_URL ?? `http://${loopbackIfWildcard(c.CLICKHOUSE_HTTP_HOST)}:${c.CLICKHOUSE_HTTP_PORT}`;
}

export function ingestUrl(c: Config): string {
  return `http://${loopbackIfWildcard(c.HOST)}:${c.PORT}`;
}

export function openStore(c: Config, access: 'read' | 'write', log: Logger): StoreConnection {
  const url = clickHouseUrl(c);
  if (c.CLICKHOUSE_URL || c.CLICKHOUSE_SERVICE_PASSWORD) return { store: httpStoreFromConfig(c, log), url };
  if (access === 'write') {
    throw new UsageError(
      `replay records each replay in ClickHouse (table dlq_replays), which the read-only analyst at ${url} cannot write: ` +
        'set CLICKHOUSE_SERVICE_PASSWORD to the value the pipeline was started with (`CLICKHOUSE_SERVICE_PASSWORD=… npm start`), ' +
        'or CLICKHOUSE_URL (+ CLICKHOUSE_USER/CLICKHOUSE_PASSWORD) for a ClickHouse server; --dry-run works without',
    );
  }
  const client = createHttpClient({ url, username: 'default', password: '', database: c.CLICKHOUSE_DATABASE, requestTimeoutMs: c.CLICKHOUSE_REQUEST_TIMEOUT_MS });
  return { store: createClickHouseStore({ client, log, embedded: false }), url };
}

/** Kafka when KAFKA_BROKERS is set; otherwise the embedded pipeline's HTTP ingest. */
export function openTarget(c: Config, log: Logger): ReplayTarget {
  if (c.KAFKA_BROKERS && c.KAFKA_BROKERS.length > 0) {
    return busTarget(kafkaBusFromConfig(c, log), 'kafka', `Kafka at ${c.KAFKA_BROKERS.join(',')}`);
  }
  return httpIngestTarget({ baseUrl: ingestUrl(c), rawTopic: c.TOPIC_RAW, timeoutMs: c.INGEST_ACK_TIMEOUT_MS + 5_000 });
}
