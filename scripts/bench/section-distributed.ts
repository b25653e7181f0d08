/**
 * Section 3 — the distributed path: enricher and writer as separate processes
 * (services/service-main.ts) over librdkafka's mock Kafka cluster, writing through the
 * `clickhouse` service process (the embedded engine on its own DATA_DIR, over HTTP).
 * This process produces Avro raw events as ingest does (the repo's Kafka bus) while
 * they are consumed, keeping (produced − stored) under a bound: the mock broker keeps only
 * a few MB per partition and drops older data, so running ahead would lose events.
 * Progress is read from the enriched topic's high watermarks and ClickHouse counts.
 *
 * Per-stage figures come from micro-benchmarks of the services' own functions on the same
 * events in this process (decode, validate, price, encode on the enricher side; decode,
 * row building, serialization on the writer side), and the insert stage from inserting
 * the same rows into the clickhouse service over HTTP as the writer does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaBus } from '../../services/core/bus/kafka-bus.ts';
import { loadAvroRegistry } from '../../services/core/codec/avro-registry.ts';
import { decodeRawTrace, encodeRawTraceAvro } from '../../services/core/codec/trace-codec.ts';
import { loadConfig } from '../../services/core/config.ts';
import { createLogger } from '../../services/core/logger.ts';
import { decodeEnriched, encodeEnriched } from '../../services/core/schema/enriched-trace.ts';
import { parseTraceEvent, type TraceEvent } from '../../services/core/schema/trace-event.ts';
import { createClickHouseStore } from '../../services/core/store/clickhouse-store.ts';
import { createHttpClient } from '../../services/core/store/clients.ts';
import { pricerFromConfig } from '../../services/core/wiring.ts';
import { enrichMessage } from '../../services/enricher/enrich-message.ts';
import { toTraceRow } from '../../services/writer/trace-row.ts';
import { startMockKafka, type MockKafka } from '../../test/helpers/mock-kafka.ts';
import { freePort } from '../../test/helpers/service-process.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import type { BenchOptions } from './args.ts';
import { chRows, countsAre, rowCounts, SERVICE_PASSWORD, SERVICE_USER, type ChTarget, type RowCounts } from './ch.ts';
import { benchEvents, rawMessage } from './events.ts';
import { procMemory, progress, runSectionMain, sectionOptions, sleep, startNode, type NodeProcess } from './proc.ts';

export interface StageFigure {
  stage: string;
  side: 'enricher' | 'writer';
  nsPerEvent: number;
  /** 1e9 / nsPerEvent: what one core doing only this stage would sustain. */
  eventsPerS: number;
}

export interface ProcessFigure {
  name: string;
  /** Events (enricher) or rows (writer) per second of wall time over the run. */
  wallPerS: number | null;
  cpuSeconds: number;
  /** Events/rows per CPU-second of the process: its rate on one dedicated core. */
  perCpuS: number | null;
  peakRssMiB: number;
}

export interface DistributedResult {
  events: number;
  partitions: number;
  maxBacklog: number;
  seconds: number;
  /** Events per second through the whole path (first produce → last row counted). */
  pipelineEventsPerS: number;
  counts: RowCounts;
  exact: boolean;
  dlqMessages: number;
  /** Earliest retained offsets > 0: the mock broker dropped data (only harmful if counts fall short). */
  agedOut: { raw: number; enriched: number };
  /** Inserts the writer made for the traces (its batch log) and rows per insert. */
  writerBatches: { batches: number; rowsPerBatch: number };
  processes: ProcessFigure[];
  stages: StageFigure[];
  stageSample: number;
  /** Insert stage: the same rows into the clickhouse service over HTTP, batches of --insert-batch. */
  httpInsert: { rows: number; seconds: number; rowsPerS: number };
}

const TOPICS = ['llm.traces.raw', 'llm.traces.enriched', 'llm.dlq', 'llm.scores', 'llm.alerts'];

runSectionMain(async (): Promise<DistributedResult> => {
  const opts = sectionOptions<BenchOptions>();
  const dir = tempDir('bench-distributed');
  const config = loadConfig({ DATA_DIR: dir.path });
  const registry = loadAvroRegistry();
  const pricer = pricerFromConfig(config);

  progress('distributed: building events', true);
  const events = [...benchEvents(opts.distEvents, { seed: opts.seed + 3, idPrefix: 'dist' })];
  const stageSample = Math.min(events.length, 20_000);
  const stages = stageBenchmarks(events.slice(0, stageSample));

  const procs: NodeProcess[] = [];
  let kafka: MockKafka | null = null;
  let admin: ReturnType<Kafka['admin']> | null = null;
  try {
    kafka = await startMockKafka({ topics: TOPICS.map((name) => ({ name, partitions: opts.partitions })) });
    const chPort = await freePort();
    const ch: ChTarget = { url: `http://127.0.0.1:${chPort}`, user: SERVICE_USER, password: SERVICE_PASSWORD };
    const env = {
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: kafka.bootstrap,
      TOPIC_PARTITIONS: String(opts.partitions),
      CLICKHOUSE_URL: ch.url,
      CLICKHOUSE_USER: SERVICE_USER,
      CLICKHOUSE_PASSWORD: SERVICE_PASSWORD,
    };
    progress('distributed: starting clickhouse, writer, enricher processes', true);
    const chProc = startNode({ name: 'clickhouse', service: 'clickhouse', env: { LOG_LEVEL: 'info', DATA_DIR: join(dir.path, 'data'), CLICKHOUSE_HTTP_PORT: String(chPort), CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD } });
    procs.push(chProc);
    await chProc.waitForLog(/ClickHouse HTTP interface listening/, 180_000);
    const writer = startNode({ name: 'writer', service: 'writer', env });
    const enricher = startNode({ name: 'enricher', service: 'enricher', env });
    procs.push(writer, enricher);
    await Promise.all([writer.waitForLog(/service ready/, 180_000), enricher.waitForLog(/service ready/, 180_000)]);

    const k = new Kafka({ brokers: kafka.brokers, clientId: 'bench-admin', logLevel: logLevel.NOTHING });
    admin = k.admin();
    await admin.connect();
    const offsets = async (topic: string) => {
      const parts = await admin!.fetchTopicOffsets(topic);
      return { high: parts.reduce((s, p) => s + Number(p.high), 0), low: parts.reduce((s, p) => s + Number(p.low), 0) };
    };

    // Pre-encoded as ingest publishes them (validated, Avro, keyed by trace_id).
    const messages = events.map((e, i) => {
      const m = rawMessage(registry, e, i);
      return { key: m.key, value: m.value };
    });
    events.length = 0;
    const bus = createKafkaBus({ brokers: kafka.brokers, clientId: 'bench-producer' });
    await bus.connect();

    const n = messages.length;
    const maxBacklog = opts.partitions * 1_200;
    let produced = 0;
    let enriched = 0;
    let written = 0;
    let enrichDoneAt: number | null = null;
    let writeDoneAt: number | null = null;
    const cpu0 = { enricher: enricher.cpuSeconds(), writer: writer.cpuSeconds(), clickhouse: chProc.cpuSeconds() };
    const t0 = performance.now();
    let lastProgressAt = t0;
    let lastWritten = 0;
    let stop = false;

    const poller = (async () => {
      while (!stop) {
        // count() of traces only (answered from part metadata): the poll must not load the engine.
        const [e, c] = await Promise.all([offsets('llm.traces.enriched'), chRows<{ n: string }>(ch, 'SELECT count() AS n FROM traces').catch(() => null)]);
        enriched = e.high;
        if (c) written = Number(c[0]?.n ?? 0);
        const now = performance.now();
        if (enrichDoneAt === null && enriched >= n) enrichDoneAt = now;
        if (writeDoneAt === null && written >= n) writeDoneAt = now;
        if (written !== lastWritten) {
          lastWritten = written;
          lastProgressAt = now;
        }
        const secs = (now - t0) / 1000;
        progress(`distributed: produced ${produced}, enriched ${enriched}, stored ${written}/${n} (${Math.round(written / secs)} events/s)`);
        if (writeDoneAt !== null) break;
        if (now - lastProgressAt > 60_000) throw new Error(`no progress for 60 s: produced ${produced}, enriched ${enriched}, stored ${written}`);
        await sleep(250);
      }
    })();

    const CHUNK = 500;
    try {
      const inflight = new Set<Promise<void>>();
      while (produced < n) {
        // Stay within what the mock broker retains, counting what is not stored yet.
        while (produced - written + CHUNK > maxBacklog && writeDoneAt === null) await sleep(5);
        while (inflight.size >= 4) await Promise.race(inflight);
        const chunk = messages.slice(produced, produced + CHUNK);
        produced += chunk.length;
        const p = bus.publish('llm.traces.raw', chunk).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.all(inflight);
      await poller;
    } finally {
      stop = true;
      await poller.catch(() => {});
      await bus.close();
    }
    const seconds = ((writeDoneAt ?? performance.now()) - t0) / 1000;
    let counts = await rowCounts(ch);
    for (let i = 0; !countsAre(counts, n) && i < 40; i++) {
      await sleep(250);
      counts = await rowCounts(ch);
    }
    const cpu = { enricher: enricher.cpuSeconds() - cpu0.enricher, writer: writer.cpuSeconds() - cpu0.writer, clickhouse: chProc.cpuSeconds() - cpu0.clickhouse };
    const [raw, enr, dlq] = [await offsets('llm.traces.raw'), await offsets('llm.traces.enriched'), await offsets('llm.dlq')];
    // The writer logs every insert before making it (one row per partition range it
    // covers, all with the insert's token): how many inserts the rows took.
    const [wb] = await chRows<{ batches: string; rows: string }>(
      ch,
      "SELECT count() AS batches, sum(rows) AS rows FROM (SELECT token, any(rows) AS rows FROM writer_batches FINAL WHERE topic = 'llm.traces.enriched' GROUP BY token)",
    );
    const writerBatches = { batches: Number(wb?.batches ?? 0), rowsPerBatch: Number(wb?.batches) > 0 ? round2(Number(wb!.rows) / Number(wb!.batches)) : 0 };
    const processes: ProcessFigure[] = [
      { name: 'enricher', wallPerS: enrichDoneAt ? Math.round(n / ((enrichDoneAt - t0) / 1000)) : null, cpuSeconds: round2(cpu.enricher), perCpuS: perCpu(n, cpu.enricher), peakRssMiB: enricher.peakRssMiB() },
      { name: 'writer', wallPerS: writeDoneAt ? Math.round(n / ((writeDoneAt - t0) / 1000)) : null, cpuSeconds: round2(cpu.writer), perCpuS: perCpu(n, cpu.writer), peakRssMiB: writer.peakRssMiB() },
      { name: 'clickhouse', wallPerS: null, cpuSeconds: round2(cpu.clickhouse), perCpuS: perCpu(n, cpu.clickhouse), peakRssMiB: chProc.peakRssMiB() },
      { name: 'mock-kafka', wallPerS: null, cpuSeconds: 0, perCpuS: null, peakRssMiB: mockKafkaPeakRss() },
      { name: 'producer (bench)', wallPerS: null, cpuSeconds: 0, perCpuS: null, peakRssMiB: procMemory('self')?.peakRssMiB ?? 0 },
    ];

    // Insert stage: the writer's rows for the sample, through the service over HTTP.
    progress('distributed: insert stage over HTTP', true);
    const httpInsert = await insertStage(ch, registry, pricer, stageSample, opts);
    return {
      events: n,
      partitions: opts.partitions,
      maxBacklog,
      seconds: round2(seconds),
      pipelineEventsPerS: Math.round(n / seconds),
      counts,
      exact: countsAre(counts, n),
      dlqMessages: dlq.high,
      agedOut: { raw: raw.low, enriched: enr.low },
      writerBatches,
      processes,
      stages,
      stageSample,
      httpInsert,
    };
  } finally {
    await admin?.disconnect().catch(() => {});
    for (const p of procs.reverse()) await p.stop('SIGTERM', 20_000);
    await kafka?.stop();
    dir.cleanup();
  }
});

/** ns/event of each stage function over `events` (second of two passes, so the JIT is warm). */
function stageBenchmarks(events: Record<string, unknown>[]): StageFigure[] {
  const registry = loadAvroRegistry();
  const pricer = pricerFromConfig(loadConfig({}));
  const raws = events.map((e, i) => rawMessage(registry, e, i));
  const n = raws.length;
  const out: StageFigure[] = [];
  const time = <T>(stage: string, side: StageFigure['side'], fn: (i: number) => T): T[] => {
    let results: T[] = [];
    let ns = 0;
    for (let pass = 0; pass < 2; pass++) {
      results = new Array(n);
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) results[i] = fn(i);
      ns = Number(process.hrtime.bigint() - t) / n;
    }
    out.push({ stage, side, nsPerEvent: Math.round(ns), eventsPerS: Math.round(1e9 / ns) });
    progress(`distributed: stage ${stage} ${Math.round(ns)} ns/event`, true);
    return results;
  };
  const parsed = events.map((e) => parseTraceEvent(e)).map((p) => (p.ok ? p.value : null)) as TraceEvent[];
  time('ingest: validate + Avro encode', 'enricher', (i) => encodeRawTraceAvro(registry, parsed[i]));
  const decoded = time('decode (Avro)', 'enricher', (i) => decodeRawTrace(registry, raws[i].value));
  const valid = time('validate (zod)', 'enricher', (i) => {
    const r = parseTraceEvent(decoded[i]);
    if (!r.ok) throw new Error('invalid');
    return r.value;
  });
  time('price', 'enricher', (i) => {
    const e = valid[i];
    return pricer.price({ model: e.model, provider: e.provider ?? undefined, timestampMs: e.timestamp, input_tokens: e.input_tokens, output_tokens: e.output_tokens, cached_input_tokens: e.cached_input_tokens, cache_write_tokens: e.cache_write_tokens, reasoning_tokens: e.reasoning_tokens });
  });
  const enriched = time('enrichMessage (decode+validate+redact+price)', 'enricher', (i) => enrichMessage(raws[i], { registry, pricer, now: Date.now() }));
  const encoded = time('encode (Avro enriched)', 'enricher', (i) => encodeEnriched(registry, enriched[i]));
  const decodedE = time('decode (Avro enriched)', 'writer', (i) => decodeEnriched(registry, encoded[i]));
  const rows = time('row (toTraceRow)', 'writer', (i) => toTraceRow(decodedE[i]));
  time('serialize (JSONEachRow)', 'writer', (i) => JSON.stringify(rows[i]));
  return out;
}

async function insertStage(ch: ChTarget, registry: ReturnType<typeof loadAvroRegistry>, pricer: ReturnType<typeof pricerFromConfig>, count: number, opts: BenchOptions) {
  const rows = [...benchEvents(count, { seed: opts.seed + 4, idPrefix: 'stage' })].map((e, i) => toTraceRow(enrichMessage(rawMessage(registry, e, i), { registry, pricer, now: Date.now() })));
  const store = createClickHouseStore({
    client: createHttpClient({ url: ch.url, username: ch.user, password: ch.password }),
    log: createLogger({ level: 'warn' }),
    embedded: false,
  });
  try {
    const t = performance.now();
    for (let i = 0; i < rows.length; i += opts.insertBatch) {
      await store.insert('traces', rows.slice(i, i + opts.insertBatch), { dedupToken: `bench-stage-${i}` });
    }
    const seconds = (performance.now() - t) / 1000;
    return { rows: rows.length, seconds: round2(seconds), rowsPerS: Math.round(rows.length / seconds) };
  } finally {
    await store.close();
  }
}

function perCpu(n: number, cpuSeconds: number): number | null {
  return cpuSeconds > 0 ? Math.round(n / cpuSeconds) : null;
}

/** VmHWM of the mock-kafka helper (a child of this process), MiB. */
function mockKafkaPeakRss(): number {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'mock-kafka' && ppid === process.pid) return procMemory(Number(pid))?.peakRssMiB ?? 0;
    } catch {
      /* gone */
    }
  }
  return 0;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
