import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAvroRegistry } from './avro-registry.ts';
import { decodeRawTrace, encodeRawTraceAvro } from './trace-codec.ts';
import { decodeEnriched, encodeEnriched, type EnrichedTrace } from '../schema/enriched-trace.ts';
import { parseTraceEvent, type TraceEvent } from '../schema/trace-event.ts';

/**
 * The embedded pipeline's shortcut (loadAvroRegistry(…, { rememberEncoded: true })): the
 * stage reading a Buffer another stage of the process encoded gets that stage's object
 * back. It is only sound if that object is exactly what decoding would have produced, and
 * if nobody can change it afterwards; both are checked here.
 */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
const validEvent = (over: Record<string, unknown> = {}): TraceEvent => {
  const r = parseTraceEvent({ trace_id: 'mem-1', timestamp: 1_790_000_000_123, model: 'gpt-4o', feature: 'chat', input_tokens: 10, output_tokens: 3, metadata: { team: 'a' }, input: 'hi', ...over });
  assert.ok(r.ok);
  return r.value;
};
const enriched = (event: TraceEvent): EnrichedTrace => ({
  event, cost_pico_usd: 123, cost_breakdown: { input: 100, cache_read: 0, cache_write: 0, output: 23, reasoning: 0, cache_write_1h: 0, input_audio: 0, output_audio: 0, input_image: 0, output_image: 0 }, pricing_status: 'priced',
  priced_model: 'gpt-4o', price_version: 'v', unpriced_reason: null, pricing_note: null, received_at: 1_790_000_000_500, source_partition: 1, source_offset: 7,
});

test('the same Buffer decodes to the encoded object itself, frozen; a copy of it decodes the bytes to an equal object', () => {
  const registry = loadAvroRegistry(undefined, { rememberEncoded: true });
  const event = validEvent();
  const buf = encodeRawTraceAvro(registry, event);
  assert.equal(decodeRawTrace(registry, buf), event);
  assert.ok(Object.isFrozen(event) && Object.isFrozen(event.metadata));
  assert.throws(() => { (event as { model: string }).model = 'x'; }, TypeError);
  const fromBytes = decodeRawTrace(registry, Buffer.from(buf));
  assert.notEqual(fromBytes, event);
  assert.deepEqual(plain(fromBytes), plain(event), 'the shortcut returns what decoding returns');

  const e = enriched(validEvent({ trace_id: 'mem-2' }));
  const ebuf = encodeEnriched(registry, e);
  assert.equal(decodeEnriched(registry, ebuf), e);
  assert.deepEqual(plain(decodeEnriched(registry, Buffer.from(ebuf))), plain(e));
  // Another subject for the same Buffer is not a shortcut: the bytes decide (and fail).
  assert.throws(() => decodeEnriched(registry, buf), /unknown schema id/);
});

test('without the option nothing is remembered or frozen', () => {
  const registry = loadAvroRegistry();
  const event = validEvent({ trace_id: 'mem-3' });
  const buf = encodeRawTraceAvro(registry, event);
  assert.notEqual(decodeRawTrace(registry, buf), event);
  assert.ok(!Object.isFrozen(event));
});

test('parseTraceEvent skips only events it produced that are frozen since; anything else is validated', () => {
  const event = validEvent({ trace_id: 'mem-4' });
  const mutated = event as { input_tokens: number };
  mutated.input_tokens = -5; // not frozen: validated again, and rejected
  const again = parseTraceEvent(event);
  assert.ok(!again.ok && again.errors.some((e) => e.field === 'input_tokens'));

  const frozen = Object.freeze(validEvent({ trace_id: 'mem-5' }));
  const r = parseTraceEvent(frozen);
  assert.ok(r.ok && r.value === frozen, 'the very object, not a copy');
  const lookalike = Object.freeze({ ...frozen, input_tokens: -1 }); // frozen but never produced by the parser
  assert.equal(parseTraceEvent(lookalike).ok, false);
});

test('encode: values larger than the scratch buffer, and the buffers are independent of each other', () => {
  const registry = loadAvroRegistry();
  const big = validEvent({ trace_id: 'mem-big', input: 'x'.repeat(300_000) });
  const small = validEvent({ trace_id: 'mem-small' });
  const a = encodeRawTraceAvro(registry, small);
  const b = encodeRawTraceAvro(registry, big);
  const c = encodeRawTraceAvro(registry, small);
  assert.deepEqual(a, c);
  assert.equal((decodeRawTrace(registry, b) as TraceEvent).input?.length, 300_000);
  assert.equal((decodeRawTrace(registry, a) as TraceEvent).trace_id, 'mem-small', 'a later encode did not overwrite an earlier buffer');
});

test('encodeOnDemand: encode makes no bytes; stages read the object back; bytes() encodes once, exactly as encode would', () => {
  const lazy = loadAvroRegistry(undefined, { rememberEncoded: true, encodeOnDemand: true });
  const eager = loadAvroRegistry();
  const event = validEvent({ trace_id: 'mem-lazy' });
  const buf = encodeRawTraceAvro(lazy, event);
  assert.equal(buf.length, 0, 'no Avro bytes made');
  assert.ok(lazy.remembers(buf));
  assert.equal(decodeRawTrace(lazy, buf), event, 'the very object');
  const bytes = lazy.bytes(buf);
  assert.deepEqual(bytes, encodeRawTraceAvro(eager, validEvent({ trace_id: 'mem-lazy' })), 'the bytes encode would have made');
  assert.equal(lazy.bytes(buf), bytes, 'encoded once');
  assert.deepEqual(plain(decodeRawTrace(eager, bytes)), plain(event));

  const e = enriched(validEvent({ trace_id: 'mem-lazy-2' }));
  const ebuf = encodeEnriched(lazy, e);
  assert.equal(decodeEnriched(lazy, ebuf), e);
  assert.deepEqual(plain(decodeEnriched(eager, lazy.bytes(ebuf))), plain(e));
  // A Buffer the registry did not make is its own bytes, and an empty one is still refused.
  const other = Buffer.from('{"a":1}');
  assert.equal(lazy.bytes(other), other);
  assert.throws(() => decodeRawTrace(lazy, Buffer.alloc(0)), /empty message/);
  assert.throws(() => lazy.encode('no-such-subject', {}), /unknown Avro subject/);
});
