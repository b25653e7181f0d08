import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { startMockKafka, type MockKafka } from '../../helpers/mock-kafka.ts';
import { freePort, startService, type ServiceProcess } from '../../helpers/service-process.ts';
import { clickhouseSql } from '../../helpers/clickhouse-sql.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/**
 * The distributed deployment for the fault tests, as in test/e2e/distributed.test.ts:
 * librdkafka's mock cluster, the `clickhouse` service (embedded engine over HTTP) on a
 * DATA_DIR and port that survive its restarts, and ingest/enricher/writer as separate
 * processes started with `start(name)`. A kafkajs admin client reads committed offsets
 * and high watermarks.
 */
export const TOPICS = { raw: 'llm.traces.raw', enriched: 'llm.traces.enriched', dlq: 'llm.dlq', scores: 'llm.scores' };
const SERVICE_PASSWORD = 'fault-service-secret';

export interface Distributed {
  kafka: MockKafka;
  admin: Admin;
  dataDir: string;
  chUrl: string;
  ingestUrl: string;
  env: Record<string, string>;
  sql: (query: string) => Promise<any[]>;
  clickhouse: ServiceProcess;
  /** (Re)starts the clickhouse service on the same port and DATA_DIR; resolves once it listens. */
  startClickHouse(): Promise<ServiceProcess>;
  /** Starts a pipeline service (not waiting for it); `extra` overrides the shared env. */
  start(name: string, extra?: Record<string, string>): ServiceProcess;
  /** Committed offset per partition of `group` on `topic` (-1: none). */
  committed(group: string, topic: string): Promise<number[]>;
  /** High watermark per partition of `topic`. */
  highWatermarks(topic: string): Promise<number[]>;
  shutdown(): Promise<void>;
}

export interface DistributedOptions {
  name: string;
  partitions?: number;
  /** KAFKA_SESSION_TIMEOUT_MS of the services: how soon a killed member's partitions move (the default 30 s makes ten kills wait minutes). */
  sessionTimeoutMs?: number;
  env?: Record<string, string>;
}

export async function startDistributed(options: DistributedOptions): Promise<Distributed> {
  const partitions = options.partitions ?? 3;
  const dir = tempDir(`fault-${options.name}`);
  const kafka = await startMockKafka({ topics: Object.values(TOPICS).map((name) => ({ name, partitions })) });
  const [chPort, ingestPort] = [await freePort(), await freePort()];
  const chUrl = `http://127.0.0.1:${chPort}`;
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const env: Record<string, string> = {
    KAFKA_BROKERS: kafka.bootstrap,
    TOPIC_PARTITIONS: String(partitions),
    CLICKHOUSE_URL: chUrl,
    CLICKHOUSE_USER: 'pipeline',
    CLICKHOUSE_PASSWORD: SERVICE_PASSWORD,
    PORT: String(ingestPort),
    ...(options.sessionTimeoutMs ? { KAFKA_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs) } : {}),
    ...options.env,
  };
  const processes: ServiceProcess[] = [];
  const admin = new Kafka({ brokers: kafka.brokers, clientId: 'fault-test-admin', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();

  const d: Distributed = {
    kafka,
    admin,
    dataDir: dir.path,
    chUrl,
    ingestUrl,
    env,
    sql: clickhouseSql(() => chUrl),
    clickhouse: undefined as unknown as ServiceProcess,
    async startClickHouse() {
      const ch = startService('clickhouse', { DATA_DIR: dir.path, CLICKHOUSE_HTTP_PORT: String(chPort), CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD });
      processes.push(ch);
      d.clickhouse = ch;
      await ch.waitForLog(/ClickHouse HTTP interface listening/, 120_000);
      return ch;
    },
    start(name, extra = {}) {
      const s = startService(name, { ...env, ...extra });
      processes.push(s);
      return s;
    },
    async committed(group, topic) {
      const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const parts = res.find((t) => t.topic === topic)?.partitions ?? [];
      return parts.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
    },
    async highWatermarks(topic) {
      const res = await admin.fetchTopicOffsets(topic);
      return res.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
    },
    async shutdown() {
      for (const p of processes.reverse()) await p.stop('SIGKILL');
      await admin.disconnect().catch(() => {});
      await kafka.stop();
      dir.cleanup();
    },
  };
  await d.startClickHouse();
  return d;
}

/** Seconds with one decimal, for progress lines. */
export const secs = (ms: number) => (ms / 1000).toFixed(1);
