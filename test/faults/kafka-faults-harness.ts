/**
 * Shared machinery for the Kafka fault tests ("Nothing lost, nobody let in"):
 * - `startPipeline`: librdkafka's mock cluster + the clickhouse, writer, enricher and ingest
 *   services as real processes (as in test/e2e/distributed.test.ts);
 * - `TraceClient`: a client that keeps posting batches of fresh events to ingest and, like
 *   a real client, retries a 503 with the same events (same trace_id) after Retry-After;
 *   it counts every event in and every answer;
 * - `verifyExactlyOnce`: waits for the acknowledged events in ClickHouse, then asserts the
 *   exact totals (traces rows, distinct trace_ids, rollup requests, cost) and returns the
 *   figures printed as one `FAULT-FIGURES {json}` line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startMockKafka, type MockKafka } from '../helpers/mock-kafka.ts';
import { eventually, freePort, startService, type ServiceProcess } from '../helpers/service-process.ts';
import { expectedCostPico, picoToUsdText } from '../helpers/expected-cost.ts';
import { clickhouseSql } from '../helpers/clickhouse-sql.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import type { FaultFigures } from './support/totals.ts';
import type { TraceEvent } from './support/traffic.ts';

export const TOPICS = ['llm.traces.raw', 'llm.traces.enriched', 'llm.dlq', 'llm.scores'];
const SERVICE_PASSWORD = 'fault-service-secret';

export interface Pipeline {
  kafka: MockKafka;
  ingestUrl: string;
  sql: (query: string) => Promise<any[]>;
  env: Record<string, string>;
  services: ServiceProcess[];
  /** Starts one more service process with the shared environment (+ extra). */
  start(name: string, extra?: Record<string, string>): ServiceProcess;
  /** SIGKILLs whatever still runs, stops the mock cluster, removes the data dir. */
  teardown(): Promise<void>;
}

export interface PipelineOptions {
  label: string;
  brokers?: number;
  partitions?: number;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** Extra environment for ingest only. */
  ingestEnv?: Record<string, string>;
}

export async function startPipeline(o: PipelineOptions): Promise<Pipeline> {
  const partitions = o.partitions ?? 3;
  const dir = tempDir(`faults-${o.label}`);
  const kafka = await startMockKafka({ brokers: o.brokers ?? 1, topics: TOPICS.map((name) => ({ name, partitions })) });
  const [chPort, ingestPort] = [await freePort(), await freePort()];
  const chUrl = `http://127.0.0.1:${chPort}`;
  const services: ServiceProcess[] = [];
  const env: Record<string, string> = {
    KAFKA_BROKERS: kafka.bootstrap,
    // A short group session: the mock holds every rebalance for it, and a killed member keeps its partitions that long.
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    TOPIC_PARTITIONS: String(partitions),
    CLICKHOUSE_URL: chUrl,
    CLICKHOUSE_USER: 'pipeline',
    CLICKHOUSE_PASSWORD: SERVICE_PASSWORD,
    WRITER_BATCH_SIZE: '50',
    ENRICHER_BATCH_SIZE: '50',
    ...o.env,
  };
  const start = (name: string, extra: Record<string, string> = {}) => {
    const s = startService(name, { ...env, ...extra });
    services.push(s);
    keepLog(s);
    return s;
  };
  // FAULTS_LOG_DIR=/some/dir streams every service's log there, for a post-mortem.
  const keepLog = (s: ServiceProcess) => {
    const logDir = process.env.FAULTS_LOG_DIR;
    if (!logDir) return;
    mkdirSync(logDir, { recursive: true });
    const file = join(logDir, `${o.label}-${services.length - 1}-${s.name}.log`);
    s.child.stdout?.on('data', (chunk: Buffer) => appendFileSync(file, chunk));
    s.child.stderr?.on('data', (chunk: Buffer) => appendFileSync(file, chunk));
  };
  const teardown = async () => {
    for (const s of [...services].reverse()) await s.stop('SIGKILL');
    await kafka.stop();
    dir.cleanup();
  };
  try {
    const ch = startService('clickhouse', { DATA_DIR: dir.path, CLICKHOUSE_HTTP_PORT: String(chPort), CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD });
    services.push(ch);
    keepLog(ch);
    await ch.waitForLog(/ClickHouse HTTP interface listening/, 90_000);
    // The writer applies the migrations; start it first so the others find the tables.
    const writer = start('writer');
    await writer.waitForLog(/service ready/, 90_000);
    const enricher = start('enricher');
    const ingest = start('ingest', { PORT: String(ingestPort), ...o.ingestEnv });
    await Promise.all([enricher, ingest].map((s) => s.waitForLog(/service ready/, 90_000)));
  } catch (err) {
    await teardown();
    throw err;
  }
  return { kafka, ingestUrl: `http://127.0.0.1:${ingestPort}`, sql: clickhouseSql(() => chUrl), env, services, start, teardown };
}

export interface ClientStats {
  requests: number;
  /** 2xx answers (each covers a whole batch: the events are all valid). */
  responses2xx: number;
  responses503: number;
  /** 503s without a usable Retry-After. */
  missingRetryAfter: number;
  /** Any other status, or a connection error: both are failures of the test. */
  otherAnswers: string[];
  /** Longest a 503 took to come back (ms). */
  slowest503Ms: number;
}

/**
 * Posts batches of fresh events to ingest from `concurrency` loops until `stop()`. Each
 * batch is resent (same events) after Retry-After whenever it gets a 503, until a 2xx.
 */
export class TraceClient {
  readonly events = new Map<string, TraceEvent>();
  readonly acknowledged = new Set<string>();
  readonly stats: ClientStats = { requests: 0, responses2xx: 0, responses503: 0, missingRetryAfter: 0, otherAnswers: [], slowest503Ms: 0 };
  /** Wall-clock time of every 503 and 2xx answer, for the figures. */
  readonly answers: { at: number; status: number }[] = [];
  private seq = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly base = Date.now();

  constructor(
    private readonly ingestUrl: string,
    private readonly o: { feature: string; batchSize: number; concurrency: number; pauseMs: number },
  ) {}

  private nextEvent(): TraceEvent {
    const i = this.seq++;
    const e: TraceEvent = {
      trace_id: `${this.o.feature}-${i}`,
      // Spread over a few minutes (but all in the past) so the rollups hold several buckets.
      timestamp: new Date(this.base - 60_000 - (i % 240) * 1000).toISOString(),
      model: i % 2 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
      feature: this.o.feature,
      input_tokens: 1000 + (i % 997),
      cached_input_tokens: i % 5 === 0 ? 500 : 0,
      output_tokens: 100 + (i % 7),
      latency_ms: 200 + (i % 300),
    };
    this.events.set(e.trace_id, e);
    return e;
  }

  /** Sends one new batch until it is acknowledged (or the test gives up on the client). */
  async sendBatch(): Promise<void> {
    const batch = Array.from({ length: this.o.batchSize }, () => this.nextEvent());
    const body = JSON.stringify({ traces: batch });
    for (;;) {
      const t0 = Date.now();
      this.stats.requests++;
      let res: Response;
      try {
        res = await fetch(`${this.ingestUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      } catch (err) {
        this.stats.otherAnswers.push(`connection error: ${(err as Error).message}`);
        await sleep(1000);
        continue;
      }
      const text = await res.text();
      if (res.status === 202) {
        this.stats.responses2xx++;
        this.answers.push({ at: Date.now(), status: 202 });
        for (const e of batch) this.acknowledged.add(e.trace_id);
        return;
      }
      if (res.status === 503) {
        this.stats.responses503++;
        this.answers.push({ at: Date.now(), status: 503 });
        this.stats.slowest503Ms = Math.max(this.stats.slowest503Ms, Date.now() - t0);
        const retryAfter = Number(res.headers.get('retry-after'));
        if (!Number.isFinite(retryAfter) || retryAfter <= 0) this.stats.missingRetryAfter++;
        await sleep((Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1000);
        continue;
      }
      this.stats.otherAnswers.push(`${res.status}: ${text.slice(0, 200)}`);
      await sleep(1000);
    }
  }

  /** Starts the sending loops. */
  run(): void {
    for (let c = 0; c < this.o.concurrency; c++) {
      this.loops.push(
        (async () => {
          while (!this.stopped) {
            await this.sendBatch();
            await sleep(this.o.pauseMs);
          }
        })(),
      );
    }
  }

  /** Stops starting new batches; resolves once every batch in flight was acknowledged. */
  async stop(timeoutMs = 120_000): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.loops),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`client batches still unacknowledged after ${timeoutMs} ms: ${JSON.stringify(this.stats)}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Waits until at least `n` more events were acknowledged than when called. */
  async waitForMoreAcks(n: number, timeoutMs = 60_000): Promise<void> {
    const target = this.acknowledged.size + n;
    await eventually(async () => this.acknowledged.size, (v) => v >= target, timeoutMs, `${target} acknowledged events`);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits until every acknowledged event of `client` is in `traces`, lets late duplicates
 * arrive, then asserts the exact totals for the client's feature: rows = distinct
 * trace_ids = acknowledged events = requests in traces_1m = in traces_1h; the stored ids
 * are exactly the acknowledged ones; cost sums as expected. Returns the figures; `since`
 * (a Date.now() value) gives recover_ms = time until everything was counted.
 */
export async function verifyExactlyOnce(
  p: Pipeline,
  client: TraceClient,
  fault: string,
  since: number | null,
  extra: Record<string, unknown> | (() => Record<string, unknown>) = {},
  timeoutMs = 150_000,
): Promise<FaultFigures> {
  const feature = client.events.values().next().value!.feature;
  const where = `feature = '${feature}'`;
  const expected = client.acknowledged.size;
  await eventually(
    () => p.sql(`SELECT uniqExact(trace_id) AS u FROM traces WHERE ${where}`),
    (r) => Number(r[0]?.u) >= expected,
    timeoutMs,
    `${expected} acknowledged ${feature} events in traces`,
  );
  const recoverMs = since === null ? null : Date.now() - since;
  // A late duplicate (a redelivery, a retried produce) would land within seconds: wait for it.
  await sleep(4000);
  const more = typeof extra === 'function' ? extra() : extra;
  const [t] = await p.sql(`SELECT count() AS n, uniqExact(trace_id) AS u, toString(sum(cost_usd)) AS cost FROM traces WHERE ${where}`);
  const [m] = await p.sql(`SELECT sum(requests) AS n, toString(sum(cost_usd_sum)) AS cost FROM traces_1m WHERE ${where}`);
  const [h] = await p.sql(`SELECT sum(requests) AS n, toString(sum(cost_usd_sum)) AS cost FROM traces_1h WHERE ${where}`);
  const stored = new Set((await p.sql(`SELECT DISTINCT trace_id FROM traces WHERE ${where}`)).map((r) => r.trace_id as string));
  const figures: FaultFigures = {
    fault,
    events_in: client.events.size,
    acknowledged: expected,
    counted_traces: Number(t.n),
    counted_rollup_1m: Number(m.n),
    duplicates: Number(t.n) - Number(t.u),
    recover_ms: recoverMs,
    counted_rollup_1h: Number(h.n),
    requests: client.stats.requests,
    responses_2xx: client.stats.responses2xx,
    responses_503: client.stats.responses503,
    ...more,
  };
  console.log(`FAULT-FIGURES ${JSON.stringify(figures)}`);

  assert.deepEqual(client.stats.otherAnswers, [], 'every answer was a 202 or a 503');
  assert.equal(client.stats.missingRetryAfter, 0, 'every 503 carried Retry-After');
  assert.equal(client.acknowledged.size, client.events.size, 'the client got every event acknowledged in the end');
  const missing = [...client.acknowledged].filter((id) => !stored.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} acknowledged events are not in ClickHouse`);
  const unknown = [...stored].filter((id) => !client.acknowledged.has(id));
  assert.deepEqual(unknown.slice(0, 20), [], `${unknown.length} stored events were never acknowledged`);
  assert.equal(Number(t.u), expected, 'distinct trace_ids in traces');
  assert.equal(Number(t.n), expected, 'rows in traces (no duplicates)');
  assert.equal(Number(m.n), expected, 'requests in traces_1m');
  assert.equal(Number(h.n), expected, 'requests in traces_1h');
  const pico = [...client.events.values()].reduce((s, e) => s + expectedCostPico(e.model, e), 0);
  assert.equal(t.cost, picoToUsdText(pico), 'cost in traces');
  assert.equal(m.cost, picoToUsdText(pico), 'cost in traces_1m');
  assert.equal(h.cost, picoToUsdText(pico), 'cost in traces_1h');
  return figures;
}

/** Waits until every event acknowledged so far is in traces: the whole pipeline caught up. */
export async function waitCaughtUp(p: Pipeline, client: TraceClient, timeoutMs = 120_000): Promise<void> {
  const feature = client.events.values().next().value!.feature;
  const target = client.acknowledged.size;
  await eventually(
    () => p.sql(`SELECT uniqExact(trace_id) AS u FROM traces WHERE feature = '${feature}'`),
    (r) => Number(r[0]?.u) >= target,
    timeoutMs,
    `${target} ${feature} events in traces`,
  );
}

/** Lines of a service's log matching `pattern` (for figures and diagnostics). */
export const countLogs = (s: ServiceProcess, pattern: RegExp) => s.logs.filter((l) => pattern.test(l)).length;

/** Every message key on `topic` (read to the end with kcat): shows repeats that reached Kafka. */
export function topicKeys(p: Pipeline, topic: string): string[] {
  const r = spawnSync('kcat', ['-b', p.kafka.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k\\n'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `kcat failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** Messages on raw and enriched for a feature's keys, and how many of them were repeats. */
export function kafkaRepeats(p: Pipeline, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, topic] of [['raw', 'llm.traces.raw'], ['enriched', 'llm.traces.enriched']]) {
    const keys = topicKeys(p, topic).filter((k) => k.startsWith(prefix));
    out[`kafka_${name}_messages`] = keys.length;
    out[`kafka_${name}_repeats`] = keys.length - new Set(keys).size;
  }
  return out;
}
