import { z } from 'zod';
import { ErrorCodes, PipelineError } from './errors.ts';

/**
 * Every setting of every service, read from the environment once, in main.ts only.
 * All problems are reported at once, each naming the variable.
 */
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`).default(def);
const str = (def: string) => z.string().min(1, 'must not be empty').default(def);
const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

export const configSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: str('127.0.0.1'),
  PORT: int(3000, 0, 65535),
  DATA_DIR: str('./data'),

  CLICKHOUSE_URL: z.url({ error: 'expected a URL such as http://clickhouse:8123' }).optional(),
  CLICKHOUSE_USER: str('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: str('default'),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: int(30_000, 100),
  CLICKHOUSE_HTTP_HOST: str('127.0.0.1'),
  CLICKHOUSE_HTTP_PORT: int(8123, 0, 65535),
  /** Credential allowed to write through the embedded engine's HTTP interface. */
  CLICKHOUSE_SERVICE_USER: str('pipeline'),
  CLICKHOUSE_SERVICE_PASSWORD: z.string().optional(),

  KAFKA_BROKERS: list.optional(),
  KAFKA_CLIENT_ID: str('llm-pipeline'),
  /** Consumer group session: how long a dead member keeps its partitions (Kafka's session.timeout.ms). */
  KAFKA_SESSION_TIMEOUT_MS: int(30_000, 1_000, 3_600_000),
  /** Consumer heartbeat interval; keep it well under the session timeout (a third or less). */
  KAFKA_HEARTBEAT_INTERVAL_MS: int(3_000, 100, 600_000),
  /** Partitions one consumer works on at once (kafkajs partitionsConsumedConcurrently): the writer puts their deliveries in one insert. */
  KAFKA_PARTITIONS_CONCURRENTLY: int(6, 1, 1000),
  /** Most bytes one fetch returns (kafkajs maxBytes, Kafka fetch.max.bytes). */
  KAFKA_FETCH_MAX_BYTES: int(64 * 1024 * 1024, 1024),
  /** Most bytes one fetch returns per partition (kafkajs maxBytesPerPartition, Kafka max.partition.fetch.bytes). */
  KAFKA_FETCH_MAX_BYTES_PER_PARTITION: int(16 * 1024 * 1024, 1024),
  TOPIC_PARTITIONS: int(6, 1, 1000),
  /** Partitions of the in-process bus (embedded mode): 2 lets enrichment overlap inserts while keeping inserts few and large. */
  EMBEDDED_BUS_PARTITIONS: int(2, 1, 64),
  TOPIC_RAW: str('llm.traces.raw'),
  TOPIC_ENRICHED: str('llm.traces.enriched'),
  TOPIC_DLQ: str('llm.dlq'),
  TOPIC_SCORES: str('llm.scores'),
  ENRICHER_GROUP: str('llm-enricher'),
  WRITER_GROUP: str('llm-writer'),
  ENRICHER_BATCH_SIZE: int(2_000, 1, 100_000),
  WRITER_BATCH_SIZE: int(10_000, 1, 1_000_000),
  WRITER_MAX_DELAY_MS: int(20, 0, 60_000),
  /** One insert is cut at this many rows, or bytes, or when its first delivery has waited this long. */
  WRITER_FLUSH_ROWS: int(20_000, 1, 1_000_000),
  WRITER_FLUSH_BYTES: int(32 * 1024 * 1024, 1024),
  WRITER_FLUSH_MAX_MS: int(1_000, 0, 60_000),
  WRITER_DEDUP_WINDOW: int(500_000, 0, 50_000_000),
  WRITER_DEDUP_WARM_MINUTES: int(60, 0, 7 * 24 * 60),

  INGEST_MAX_EVENTS: int(1_000, 1, 100_000),
  INGEST_OTLP_MAX_SPANS: int(10_000, 1, 1_000_000),
  INGEST_MAX_BODY_BYTES: int(10 * 1024 * 1024, 1024),
  INGEST_PUBLISH_FORMAT: z.enum(['avro', 'json']).default('avro'),
  INGEST_ACK_TIMEOUT_MS: int(15_000, 100),
  /** Past this many events handed to the bus and not yet stored/acked, new requests get 503 overloaded + Retry-After. */
  INGEST_MAX_PENDING_EVENTS: int(10_000, 1, 10_000_000),
  /** Past this many requests being received, parsed or published, new ones get 503 overloaded + Retry-After. */
  INGEST_MAX_CONCURRENT_REQUESTS: int(64, 1, 100_000),

  EVALS_FILE: str('schemas/evals/evals.example.json'),
  EVALUATOR_GROUP: str('llm-evaluator'),
  EVALUATOR_BATCH_SIZE: int(5_000, 1, 100_000),
  EVALUATOR_PENDING_CRON: str('*/2 * * * * *'),
  /** In-process bus: unread enriched events per partition the evaluator may fall behind by before the oldest are shed (counted). */
  EVALUATOR_MAX_BACKLOG: int(10_000, 1, 10_000_000),
  /** Default OpenAI-compatible judge endpoint (…/v1); unset disables judge rules without their own base_url. */
  JUDGE_BASE_URL: z.url({ error: 'expected a URL such as http://localhost:11434/v1' }).optional(),
  JUDGE_MODEL: str('gpt-4o-mini'),

  /** PII redaction in the enricher (services/enricher/redaction): feature globs (unset = off), kinds, fields. */
  REDACT_FEATURES: z.string().optional(),
  REDACT_KINDS: z.string().optional(),
  REDACT_FIELDS: z.string().optional(),

  PRICE_TABLE: str('schemas/pricing/prices.json'),
  PRICES_FILE: z.string().optional(),

  TRACES_TTL_DAYS: int(365, 1),
  TEXT_TTL_DAYS: int(30, 1),
  ROLLUP_1M_TTL_DAYS: int(90, 1),
  ROLLUP_1H_TTL_DAYS: int(1095, 1),
  DLQ_TTL_DAYS: int(30, 1),
  SCORES_TTL_DAYS: int(365, 1),
  ALERTS_TTL_DAYS: int(365, 1),

  /** Anomaly detection and alerting (services/anomaly): rules, receivers and knobs in ALERTS_FILE. */
  ALERTS_FILE: str('schemas/alerts/minimal.json'),
  TOPIC_ALERTS: str('llm.alerts'),
  ANOMALY_GROUP: str('llm-anomaly'),
  ANOMALY_BATCH_SIZE: int(2_000, 1, 100_000),
  /** Where undelivered notifications wait (a journal on disk); default DATA_DIR/alerts-outbox. */
  ALERTS_OUTBOX_DIR: z.string().optional(),
  /** node-cron expression of the tick that closes minutes (after ALERTS_FILE grace_seconds) and checks budgets. */
  ANOMALY_TICK_CRON: str('*/5 * * * * *'),
  /** Days of rollups read at start to warm the baselines (7 gives the week-ago comparison). */
  ANOMALY_WARM_DAYS: int(8, 0, 35),
  /** Closed minutes judged at start from ClickHouse (catch-up after downtime); 0 warms only. */
  ANOMALY_CATCHUP_MINUTES: int(30, 0, 24 * 60),
  /** Set to false to run the pipeline without the anomaly service. */
  ANOMALY_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),

  /** HTTP API keys (ingest, query): JSON array of { name, scopes, sha256 } (npm run apikey -- create). No keys: no authentication. */
  API_KEYS_FILE: z.string().optional(),
  /** The same keys inline: `name:scope+scope:sha256hex`, comma-separated. Hashed only, never the key itself. */
  API_KEYS: z.string().optional(),
  /** Accept serving a non-loopback HOST without API keys (otherwise the services refuse to start). */
  ALLOW_UNAUTHENTICATED: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Requests per minute per API key (per client IP without a key) on the HTTP API; 0 turns limiting off. */
  RATE_LIMIT_PER_MINUTE: int(6_000, 0),

  SHUTDOWN_TIMEOUT_MS: int(15_000, 100),
  /** Consumer services (enricher, writer) serve /healthz and /readyz on this port when set. */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** OTLP/gRPC trace export (TraceService/Export) on this port, beside HTTP /otlp/v1/traces; unset: off (4317 by convention). */
  OTLP_GRPC_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** After turning not-ready, keep serving this long so load balancers notice before the listener closes. */
  SHUTDOWN_DRAIN_MS: int(0, 0, 60_000),

  /** Test-only fault injection: the writer kills itself (SIGKILL) right after its Nth insert, before committing offsets. */
  FAULT_WRITER_KILL_AFTER_INSERTS: z.coerce.number().int().min(1).optional(),
});

export type Config = z.output<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset" so `FOO= npm start` falls back to the default.
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = configSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${String(i.path[0] ?? '(config)')}: ${i.message}`);
  throw new PipelineError(ErrorCodes.CONFIG_INVALID, `invalid configuration:\n${lines.join('\n')}`);
}

/** Values substituted into schemas/clickhouse/*.sql placeholders. */
export function migrationVars(c: Config): Record<string, number> {
  return {
    RAW_TTL_DAYS: c.TRACES_TTL_DAYS,
    TEXT_TTL_DAYS: c.TEXT_TTL_DAYS,
    ROLLUP_1M_TTL_DAYS: c.ROLLUP_1M_TTL_DAYS,
    ROLLUP_1H_TTL_DAYS: c.ROLLUP_1H_TTL_DAYS,
    DLQ_TTL_DAYS: c.DLQ_TTL_DAYS,
    SCORES_TTL_DAYS: c.SCORES_TTL_DAYS,
    ALERTS_TTL_DAYS: c.ALERTS_TTL_DAYS,
  };
}
