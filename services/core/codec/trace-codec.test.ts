import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SCHEMA_DIR, loadAvroRegistry } from './avro-registry.ts';
import { decodeRawTrace, encodeRawTraceAvro } from './trace-codec.ts';
import { decodeEnriched, encodeEnriched, type EnrichedTrace } from '../schema/enriched-trace.ts';
import { parseTraceEvent, type TraceEvent } from '../schema/trace-event.ts';
import { ErrorCodes, PipelineError } from '../errors.ts';

const registry = loadAvroRegistry();
/** avsc decodes records into generated classes; compare their data. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
const event = (() => {
  const r = parseTraceEvent({ trace_id: 'abc', timestamp: 1_790_000_000_123, model: 'gpt-4o', input_tokens: 10, metadata: { k: 'v' }, cost_usd: 0.5 });
  assert.ok(r.ok);
  return r.value as TraceEvent;
})();

test('Avro with the Confluent framing: magic byte 0, 4-byte big-endian schema id, body', () => {
  const buf = encodeRawTraceAvro(registry, event);
  assert.equal(buf[0], 0);
  assert.equal(buf.readUInt32BE(1), registry.latestId('trace-event'));
  // The body is plain Avro: a third-party decoder with the .avsc reads it.
  const type = avro.Type.forSchema(JSON.parse(readFileSync(join(DEFAULT_SCHEMA_DIR, 'trace-event.v3.avsc'), 'utf8')));
  assert.equal((type.fromBuffer(buf.subarray(5)) as { trace_id: string }).trace_id, 'abc');
  assert.deepEqual(plain(decodeRawTrace(registry, buf)), plain(event));
});

test('plain JSON (first byte {, leading blanks allowed) decodes', () => {
  assert.deepEqual(decodeRawTrace(registry, Buffer.from('  {"trace_id":"x"}')), { trace_id: 'x' });
});

test('poison inputs fail with a reason naming what is wrong', () => {
  const cases: [Buffer, string, RegExp][] = [
    [Buffer.alloc(0), ErrorCodes.DECODE_FAILED, /empty/],
    [Buffer.from('{"trace_id":'), ErrorCodes.DECODE_FAILED, /invalid JSON/],
    [Buffer.from('hello'), ErrorCodes.DECODE_FAILED, /first byte is 0x68/],
    [Buffer.from([0, 0, 0, 0, 99, 1, 2]), ErrorCodes.UNKNOWN_SCHEMA_ID, /unknown schema id 99/],
    [Buffer.from([0, 0, 0, 0, 1, 0xff, 0xff]), ErrorCodes.DECODE_FAILED, /does not match schema id 1/],
  ];
  for (const [buf, code, message] of cases) {
    assert.throws(
      () => decodeRawTrace(registry, buf),
      (err: unknown) => err instanceof PipelineError && err.code === code && message.test(err.message),
      `expected ${code} for ${buf.toString('hex')}`,
    );
  }
});

test('an enriched trace round-trips through its Avro schema', () => {
  const value: EnrichedTrace = {
    event,
    cost_pico_usd: 25_000_000,
    cost_breakdown: { input: 25_000_000, cache_read: 0, cache_write: 0, output: 0, reasoning: 0, cache_write_1h: 0, input_audio: 0, output_audio: 0, input_image: 0, output_image: 0 },
    pricing_status: 'priced',
    priced_model: 'gpt-4o',
    price_version: 'v1@1970-01-01',
    unpriced_reason: null,
    pricing_note: null,
    received_at: 1_790_000_001_000,
    source_partition: 3,
    source_offset: 42,
  };
  assert.deepEqual(plain(decodeEnriched(registry, encodeEnriched(registry, value))), plain(value));
});

test('every schema version in the registry can be read by the newest one of its subject', () => {
  const file = JSON.parse(readFileSync(join(DEFAULT_SCHEMA_DIR, 'registry.json'), 'utf8')) as {
    subjects: Record<string, { id: number; file: string; requires?: string[] }[]>;
  };
  const schema = (f: string): unknown => JSON.parse(readFileSync(join(DEFAULT_SCHEMA_DIR, f), 'utf8'));
  for (const [subject, versions] of Object.entries(file.subjects)) {
    const reader = registry.type(subject);
    for (const v of versions) {
      if (v.id === registry.latestId(subject)) continue;
      const named: Record<string, avro.Type> = {};
      for (const dep of v.requires ?? []) avro.Type.forSchema(schema(dep) as avro.Schema, { registry: named });
      const writer = avro.Type.forSchema(schema(v.file) as avro.Schema, { registry: named });
      assert.doesNotThrow(() => reader.createResolver(writer), `${subject} id ${v.id}`);
    }
  }
});

/** Confluent framing of `body` under schema `id`. */
function framed(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

test('a v1 producer keeps working: its event (schema id 1) decodes with the v2 fields at their defaults and validates', () => {
  const v1 = avro.Type.forSchema(JSON.parse(readFileSync(join(DEFAULT_SCHEMA_DIR, 'trace-event.v1.avsc'), 'utf8')));
  const { cache_write_1h_tokens, input_audio_tokens, output_audio_tokens, input_image_tokens, output_image_tokens, service_tier, ...v1Event } = event;
  assert.deepEqual([cache_write_1h_tokens, input_audio_tokens, output_audio_tokens, input_image_tokens, output_image_tokens, service_tier], [0, 0, 0, 0, 0, null]);
  const decoded = decodeRawTrace(registry, framed(1, v1.toBuffer(v1Event)));
  assert.deepEqual(plain(decoded), plain(event));
  assert.ok(parseTraceEvent(decoded).ok);
});

test('a v2 producer keeps working: its event (schema id 4) is one LLM call, no span id, and validates', () => {
  const v2 = avro.Type.forSchema(JSON.parse(readFileSync(join(DEFAULT_SCHEMA_DIR, 'trace-event.v2.avsc'), 'utf8')));
  const { span_id, parent_span_id, span_kind, span_name, ...v2Event } = event;
  assert.deepEqual([span_id, parent_span_id, span_kind, span_name], ['', '', 'llm', '']);
  const decoded = decodeRawTrace(registry, framed(4, v2.toBuffer(v2Event)));
  assert.deepEqual(plain(decoded), plain(event));
  assert.ok(parseTraceEvent(decoded).ok);
});

test('a v3 span carries its place in the tree through Avro', () => {
  const r = parseTraceEvent({ trace_id: 't', span_id: 'eee19b7ec3c1b174', parent_span_id: 'eee19b7ec3c1b173', span_kind: 'tool', span_name: 'execute_tool lookup', timestamp: 1_790_000_000_123 });
  assert.ok(r.ok);
  assert.equal(r.value.model, '', 'a tool span needs no model');
  assert.deepEqual(plain(decodeRawTrace(registry, encodeRawTraceAvro(registry, r.value))), plain(r.value));
});

test('a v2 event carries the billing fields through Avro', () => {
  const r = parseTraceEvent({
    trace_id: 'v2', timestamp: 1_790_000_000_123, model: 'gpt-4o-audio-preview', input_tokens: 1000, input_audio_tokens: 600, output_tokens: 500,
    output_audio_tokens: 400, cache_write_tokens: 100, cache_write_1h_tokens: 40, service_tier: 'priority',
  });
  assert.ok(r.ok);
  assert.deepEqual(plain(decodeRawTrace(registry, encodeRawTraceAvro(registry, r.value))), plain(r.value));
});

test('an enriched trace written with enriched-trace v1 (schema id 2) decodes with the new parts 0 and no note', () => {
  const named: Record<string, avro.Type> = {};
  avro.Type.forSchema(JSON.parse(readFileSync(join(DEFAULT_SCHEMA_DIR, 'trace-event.v1.avsc'), 'utf8')), { registry: named });
  const v1 = avro.Type.forSchema(JSON.parse(readFileSync(join(DEFAULT_SCHEMA_DIR, 'enriched-trace.v1.avsc'), 'utf8')), { registry: named });
  const { cache_write_1h_tokens, input_audio_tokens, output_audio_tokens, input_image_tokens, output_image_tokens, service_tier, ...v1Event } = event;
  void [cache_write_1h_tokens, input_audio_tokens, output_audio_tokens, input_image_tokens, output_image_tokens, service_tier];
  const body = v1.toBuffer({
    event: v1Event, cost_pico_usd: 7, cost_breakdown: { input: 5, cache_read: 0, cache_write: 0, output: 2, reasoning: 0 }, pricing_status: 'priced',
    priced_model: 'gpt-4o', price_version: 'v', unpriced_reason: null, received_at: 1_790_000_001_000, source_partition: 1, source_offset: 2,
  });
  const decoded = decodeEnriched(registry, framed(2, body));
  assert.deepEqual(plain(decoded.cost_breakdown), { input: 5, cache_read: 0, cache_write: 0, output: 2, reasoning: 0, cache_write_1h: 0, input_audio: 0, output_audio: 0, input_image: 0, output_image: 0 });
  assert.equal(decoded.pricing_note, null);
  assert.deepEqual(plain(decoded.event), plain(event));
});

test('regression: an Avro-decoded event passes the same validation as JSON (no record methods leak in as fields)', () => {
  const decoded = decodeRawTrace(registry, encodeRawTraceAvro(registry, event));
  const parsed = parseTraceEvent(decoded);
  assert.ok(parsed.ok, JSON.stringify(parsed));
});
