import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import type { EventBus, OutgoingMessage } from '../../services/core/bus/event-bus.ts';
import { createMemoryBus } from '../../services/core/bus/memory-bus.ts';
import { loadAvroRegistry, type AvroRegistry } from '../../services/core/codec/avro-registry.ts';
import { encodeRawTraceAvro } from '../../services/core/codec/trace-codec.ts';
import { loadConfig } from '../../services/core/config.ts';
import { DlqHeaders } from '../../services/core/dlq.ts';
import { createLogger } from '../../services/core/logger.ts';
import { decodeEnriched } from '../../services/core/schema/enriched-trace.ts';
import { parseTraceEvent } from '../../services/core/schema/trace-event.ts';
import type { Store } from '../../services/core/store/store.ts';
import { embeddedStoreFromConfig, migrate, topicsOf } from '../../services/core/wiring.ts';
import type { Enricher } from '../../services/enricher/enricher.ts';
import { enricherFromConfig } from '../../services/enricher/factory.ts';
import { writerFromConfig } from '../../services/writer/factory.ts';
import type { Writer } from '../../services/writer/writer.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { captureStream, hostileValue, printFigures, SEED, withOwnKey } from './hostile-support.ts';

/**
 * Decoder fuzz on llm.traces.raw: the pipeline parts built by the factories
 * services/all-in-one/embedded-pipeline.ts composes (memory bus that waits for its
 * consumers, enricher, writer in its embedded form, the embedded chDB store),
 * plus a probe group on the raw topic that records where each input landed
 * (partition, offset). Random and mutated messages are published: valid Avro with
 * flipped bytes, truncated Avro, unknown schema ids, random bytes, truncated JSON, JSON
 * with wrong types or __proto__ keys, non-objects, an empty value, a 10 MB value.
 * A resolved publish means processed and committed by every group, so right after it:
 * - every input is in `traces` (by source_partition/source_offset, and by trace_id for
 *   the ones sent valid) or in `dlq` (by source topic/partition/offset; a writer-stage
 *   dead letter is traced back through the enriched event it carries) — exactly one;
 * - a dead letter keeps the value byte-exact and says why (reason, error code);
 * - the counts add up: inputs = traces rows from them + dlq rows for them.
 */
const dir = tempDir('hostile-raw');
const logs = captureStream();
const log = createLogger({ level: 'warn', destination: logs.stream });
const config = loadConfig({ DATA_DIR: join(dir.path, 'data'), ENRICHER_BATCH_SIZE: '64' });
const topics = topicsOf(config);
let store: Store;
let bus: EventBus;
let writer: Writer;
let enricher: Enricher;
let registry: AvroRegistry;
/** key → where the probe group saw it on the raw topic. */
const landed = new Map<string, { partition: number; offset: number }>();
const now = Date.now();

before(async () => {
  store = embeddedStoreFromConfig(config, log.child({ component: 'store' }));
  await migrate(store, config, log);
  registry = loadAvroRegistry();
  bus = createMemoryBus({ waitForConsumers: true, requireConsumers: true, partitions: config.EMBEDDED_BUS_PARTITIONS, log, defaultMaxBatchSize: config.ENRICHER_BATCH_SIZE });
  writer = writerFromConfig({ config, log, bus, store, registry }, { embedded: true });
  enricher = enricherFromConfig({ config, log, bus, registry });
  await writer.start();
  await enricher.start();
  await bus.subscribe({
    topics: [topics.raw],
    group: 'hostile-probe',
    onBatch: async (b) => {
      for (const m of b.messages) landed.set(m.key ?? '', { partition: m.partition, offset: Number(m.offset) });
    },
  });
  console.log(`hostile raw-topic fuzz: seed ${SEED} (HOSTILE_SEED=${SEED} to replay)`);
});

after(async () => {
  await enricher?.stop();
  await writer?.stop();
  await bus?.close();
  await store?.close();
  dir.cleanup();
});

// ---------------------------------------------------------------------------------------
// Inputs

let seq = 0;
function validEvent(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trace_id: `rt-${SEED}-${i}-${randomBytes(4).toString('hex')}`,
    timestamp: now - 60_000 - i,
    model: i % 3 === 0 ? 'acme-unpriced' : 'gpt-4o',
    feature: 'fuzz',
    input_tokens: 100,
    cached_input_tokens: 10,
    output_tokens: 20,
    latency_ms: 300,
    input: 'hello',
    output: 'world',
    metadata: { k: 'v' },
    ...extra,
  };
}
const avroOf = (e: Record<string, unknown>): Buffer => {
  const parsed = parseTraceEvent(e);
  assert.ok(parsed.ok);
  return encodeRawTraceAvro(registry, parsed.value);
};
const frame = (id: number, body: Buffer): Buffer => {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(id, 1);
  return Buffer.concat([h, body]);
};

type Kind =
  | 'json-valid' | 'avro-valid' | 'avro-flipped' | 'avro-truncated' | 'avro-unknown-id' | 'avro-trailing' | 'random-bytes'
  | 'json-truncated' | 'json-wrong-type' | 'json-proto' | 'json-non-object' | 'json-garbage' | 'empty' | 'blank-then-json' | 'bom-json';

interface Input {
  key: string;
  kind: Kind;
  value: Buffer;
  /** trace_id when the input is a valid event that must reach `traces`. */
  mustStore?: string;
}

const KINDS: Kind[] = ['json-valid', 'avro-valid', 'avro-flipped', 'avro-truncated', 'avro-unknown-id', 'avro-trailing', 'random-bytes', 'json-truncated', 'json-wrong-type', 'json-proto', 'json-non-object', 'json-garbage', 'empty', 'blank-then-json', 'bom-json'];
const TRACE_FIELDS = ['trace_id', 'timestamp', 'model', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'latency_ms', 'status', 'metadata', 'cost_usd', 'input', 'time_to_first_token_ms'];

const spec = fc.record({
  kind: fc.constantFrom(...KINDS),
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  cut: fc.nat(),
  schemaId: fc.oneof(fc.constantFrom(0, 2, 3, 4, 99, 0xffffffff), fc.nat()),
  bytes: fc.uint8Array({ maxLength: 300 }),
  field: fc.constantFrom(...TRACE_FIELDS),
  value: hostileValue,
  nonObject: fc.constantFrom('[1,2]', '"str"', '42', 'null', 'true'),
  garbage: fc.constantFrom('{', '{"trace_id":', '{}}', '{"a":1}{"b":2}', '{\u0000}', '{"trace_id":"x"', '{"trace_id":"\\ud800"}'),
});

type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never;

function build(s: Spec): Input {
  const i = ++seq;
  const key = `in-${SEED}-${i}`;
  const e = validEvent(i);
  const json = Buffer.from(JSON.stringify(e));
  switch (s.kind) {
    case 'json-valid':
      return { key, kind: s.kind, value: json, mustStore: e.trace_id as string };
    case 'avro-valid':
      return { key, kind: s.kind, value: avroOf(e), mustStore: e.trace_id as string };
    case 'avro-flipped': {
      const v = avroOf(e);
      for (const [at, byte] of s.flips) v[at % v.length] = byte;
      return { key, kind: s.kind, value: v };
    }
    case 'avro-truncated': {
      const v = avroOf(e);
      return { key, kind: s.kind, value: v.subarray(0, s.cut % v.length) };
    }
    case 'avro-unknown-id':
      return { key, kind: s.kind, value: frame(s.schemaId === 1 ? 77 : s.schemaId, avroOf(e).subarray(5)) };
    case 'avro-trailing':
      return { key, kind: s.kind, value: Buffer.concat([avroOf(e), Buffer.from(s.bytes.length > 0 ? s.bytes : [1])]) };
    case 'random-bytes':
      return { key, kind: s.kind, value: Buffer.from(s.bytes) };
    case 'json-truncated':
      return { key, kind: s.kind, value: json.subarray(0, s.cut % json.length) };
    case 'json-wrong-type':
      return { key, kind: s.kind, value: Buffer.from(JSON.stringify({ ...e, [s.field]: s.value }) ?? '{}') };
    case 'json-proto':
      return { key, kind: s.kind, value: Buffer.from(JSON.stringify(withOwnKey(e, s.flips[0][0] % 2 === 0 ? '__proto__' : 'constructor', { polluted: true }))) };
    case 'json-non-object':
      return { key, kind: s.kind, value: Buffer.from(s.nonObject) };
    case 'json-garbage':
      return { key, kind: s.kind, value: Buffer.from(s.garbage) };
    case 'empty':
      return { key, kind: s.kind, value: Buffer.alloc(0) };
    case 'blank-then-json':
      return { key, kind: s.kind, value: Buffer.concat([Buffer.from(' \n\t\r'), json]), mustStore: e.trace_id as string };
    case 'bom-json':
      return { key, kind: s.kind, value: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]) };
  }
}

// ---------------------------------------------------------------------------------------
// Where did each input end?

interface Figures {
  runs: number;
  inputs: number;
  to_traces: number;
  to_dlq: number;
  dlq_enricher: number;
  dlq_writer: number;
  by_kind: Record<string, { n: number; traces: number; dlq: number }>;
  dlq_codes: Record<string, number>;
}
const figures: Figures = { runs: 0, inputs: 0, to_traces: 0, to_dlq: 0, dlq_enricher: 0, dlq_writer: 0, by_kind: {}, dlq_codes: {} };

const pos = (p: number, o: number) => `${p}:${o}`;

/** Publishes the inputs (resolves once every group processed and committed them), then places each one. */
async function publishAndPlace(inputs: Input[]): Promise<void> {
  const messages: OutgoingMessage[] = inputs.map((x) => ({ key: x.key, value: x.value }));
  await bus.publish(topics.raw, messages);
  const positions = new Map<string, Input>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of inputs) {
    const at = landed.get(x.key);
    assert.ok(at, `${x.key} was delivered on the raw topic`);
    positions.set(pos(at.partition, at.offset), x);
    lo = Math.min(lo, at.offset);
    hi = Math.max(hi, at.offset);
  }
  const traces = await store.query<{ p: number; o: string | number; trace_id: string }>(
    'SELECT source_partition AS p, source_offset AS o, trace_id FROM traces WHERE source_offset BETWEEN {lo:Int64} AND {hi:Int64}',
    { lo, hi },
  );
  const dead = await store.query<{ topic: string; p: number; o: string | number; stage: string; code: string; reason: string; value: string; key: string }>(
    `SELECT source_topic AS topic, source_partition AS p, source_offset AS o, stage, error_code AS code, reason, value_base64 AS value, message_key AS key
     FROM dlq WHERE (source_topic = {raw:String} AND source_offset BETWEEN {lo:Int64} AND {hi:Int64}) OR source_topic != {raw:String}`,
    { raw: topics.raw, lo, hi },
  );
  const found = new Map<Input, string[]>();
  const note = (x: Input, where: string) => found.set(x, [...(found.get(x) ?? []), where]);
  for (const t of traces) {
    const x = positions.get(pos(Number(t.p), Number(t.o)));
    if (x) note(x, 'traces');
  }
  let deadFromInputs = 0;
  for (const d of dead) {
    let x: Input | undefined;
    if (d.topic === topics.raw) {
      x = positions.get(pos(Number(d.p), Number(d.o)));
      if (!x) continue; // same offset range, other partition
      assert.equal(d.value, x.value.toString('base64'), `${x.key} (${x.kind}): the dead letter keeps the value byte-exact`);
      assert.equal(d.key, x.key, 'the dead letter keeps the message key');
      figures.dlq_enricher++;
    } else {
      // A writer-stage dead letter carries the enriched event, which names its raw position.
      assert.equal(d.topic, topics.enriched, `dead letter from ${d.topic}`);
      const enriched = decodeEnriched(registry, Buffer.from(d.value, 'base64'));
      x = positions.get(pos(enriched.source_partition, enriched.source_offset));
      if (!x) continue; // an earlier run's
      figures.dlq_writer++;
    }
    deadFromInputs++;
    assert.ok(d.reason.length > 0 && d.code.length > 0, `${x.key} (${x.kind}): the dead letter says why`);
    figures.dlq_codes[d.code] = (figures.dlq_codes[d.code] ?? 0) + 1;
    note(x, 'dlq');
  }
  let inTraces = 0;
  let inDlq = 0;
  for (const x of inputs) {
    const where = found.get(x) ?? [];
    assert.equal(where.length, 1, `${x.key} (${x.kind}, ${x.value.length} bytes, ${x.value.subarray(0, 60).toString('hex')}) ended in exactly one place, found: ${JSON.stringify(where)}`);
    const k = (figures.by_kind[x.kind] ??= { n: 0, traces: 0, dlq: 0 });
    k.n++;
    if (where[0] === 'traces') {
      k.traces++;
      inTraces++;
    } else {
      k.dlq++;
      inDlq++;
    }
    if (x.mustStore) {
      assert.deepEqual(where, ['traces'], `${x.key} (${x.kind}) was valid and must be stored`);
      assert.ok(traces.some((t) => t.trace_id === x.mustStore), `${x.mustStore} is in traces by trace_id`);
    }
  }
  // Counts add up: every input is a trace row or a dead letter, nothing else and nothing twice.
  const fromInputs = traces.filter((t) => positions.has(pos(Number(t.p), Number(t.o)))).length;
  assert.equal(inputs.length, fromInputs + deadFromInputs, 'inputs = traces rows from them + dlq rows');
  figures.inputs += inputs.length;
  figures.to_traces += inTraces;
  figures.to_dlq += inDlq;
}

test('random and mutated raw messages each end in traces or the DLQ, exactly once, counts adding up', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(spec, { minLength: 1, maxLength: 25 }), async (specs) => {
      figures.runs++;
      await publishAndPlace(specs.map(build));
    }),
    { seed: SEED, numRuns: 60, endOnFailure: true },
  );
  assert.equal(writer.stats().duplicatesSkipped, 0, 'no input was dropped as a repeat (every trace_id is unique)');
});

test('edge sizes: an empty value, a 10 MB JSON value, a 10 MB random value, a 1 000 000-character input (the largest allowed)', async () => {
  figures.runs++;
  const big = validEvent(++seq, { input: 'x'.repeat(10 * 1024 * 1024) });
  const max = validEvent(++seq, { input: 'y'.repeat(1_000_000) });
  await publishAndPlace([
    { key: `edge-empty-${SEED}`, kind: 'empty', value: Buffer.alloc(0) },
    { key: `edge-10mb-json-${SEED}`, kind: 'json-wrong-type', value: Buffer.from(JSON.stringify(big)) },
    { key: `edge-10mb-random-${SEED}`, kind: 'random-bytes', value: randomBytes(10 * 1024 * 1024) },
    { key: `edge-max-input-${SEED}`, kind: 'json-valid', value: Buffer.from(JSON.stringify(max)), mustStore: max.trace_id as string },
  ]);
  const [row] = await store.query<{ n: string | number }>('SELECT length(input) AS n FROM traces WHERE trace_id = {id:String}', { id: max.trace_id });
  assert.equal(Number(row.n), 1_000_000, 'the largest allowed input is stored whole');
});

test('totals: inputs = traces + dlq over the whole run; no error-level log', async () => {
  const [t] = await store.query<{ n: string | number }>('SELECT count() AS n FROM traces');
  const [d] = await store.query<{ n: string | number }>('SELECT count() AS n FROM dlq');
  assert.equal(Number(t.n), figures.to_traces, 'every trace row comes from one input');
  assert.equal(Number(d.n), figures.to_dlq, 'every dlq row comes from one input');
  assert.equal(figures.inputs, Number(t.n) + Number(d.n));
  const e = enricher.stats();
  const w = writer.stats();
  const errors = logs.lines().filter((l) => Number(l.level) >= 50);
  printFigures('raw-topic-fuzz', {
    runs: figures.runs,
    inputs: figures.inputs,
    to_traces: figures.to_traces,
    to_dlq: figures.to_dlq,
    dlq_enricher_stage: figures.dlq_enricher,
    dlq_writer_stage: figures.dlq_writer,
    dlq_codes: figures.dlq_codes,
    by_kind: figures.by_kind,
    enricher: e,
    writer: { rowsInserted: w.rowsInserted, dlqRows: w.dlqRows, duplicatesSkipped: w.duplicatesSkipped },
    error_log_lines: errors.length,
  });
  assert.deepEqual(errors.map((l) => l.msg), []);
});
