import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fastParseTraceEvent } from './trace-event-fast.ts';
import { traceEventSchema } from './trace-event.ts';

/**
 * The compiled fast path must never accept what zod rejects, and what it accepts must be
 * exactly what zod returns. Random events near every boundary (lengths, ranges, types,
 * nulls, absent fields, unknown keys, surrogate pairs, cross-field token rules).
 */
const zod = (x: unknown) => {
  const r = traceEventSchema.safeParse(x);
  return r.success ? r.data : null;
};

const FIELDS = ['trace_id', 'timestamp', 'model', 'provider', 'feature', 'prompt_version', 'environment', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'cache_write_1h_tokens', 'input_audio_tokens', 'output_audio_tokens', 'input_image_tokens', 'output_image_tokens', 'service_tier', 'latency_ms', 'time_to_first_token_ms', 'finish_reason', 'status', 'error_type', 'user_id', 'session_id', 'system_prompt_hash', 'input', 'output', 'cost_usd', 'metadata'];
const LIMITS: Record<string, number> = { trace_id: 128, model: 256, provider: 128, feature: 128, prompt_version: 128, environment: 64, finish_reason: 64, error_type: 256, user_id: 256, session_id: 256, system_prompt_hash: 128 };
/** A valid event, with optional fields present or absent. */
const valid = fc.record(
  {
    trace_id: fc.string({ minLength: 1, maxLength: 12 }),
    timestamp: fc.oneof(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), fc.constantFrom('2026-01-31T12:00:00Z', '2026-01-31 12:00:00.123+02:00', '2026-01-31T12:00-0130')),
    model: fc.string({ minLength: 1, maxLength: 12 }),
    provider: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
    feature: fc.string({ minLength: 1, maxLength: 8 }),
    prompt_version: fc.string({ maxLength: 4 }),
    environment: fc.string({ minLength: 1, maxLength: 8 }),
    input_tokens: fc.integer({ min: 1000, max: 100_000 }),
    output_tokens: fc.integer({ min: 100, max: 5000 }),
    cached_input_tokens: fc.integer({ min: 0, max: 500 }),
    cache_write_tokens: fc.integer({ min: 0, max: 500 }),
    reasoning_tokens: fc.integer({ min: 0, max: 100 }),
    cache_write_1h_tokens: fc.integer({ min: 0, max: 600 }),
    input_audio_tokens: fc.integer({ min: 0, max: 400 }),
    output_audio_tokens: fc.integer({ min: 0, max: 60 }),
    input_image_tokens: fc.integer({ min: 0, max: 400 }),
    output_image_tokens: fc.integer({ min: 0, max: 60 }),
    service_tier: fc.option(fc.constantFrom('default', 'standard', 'flex', 'priority', 'batch'), { nil: null }),
    latency_ms: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 0, max: 100_000, noNaN: true })),
    time_to_first_token_ms: fc.option(fc.double({ min: 0, max: 10_000, noNaN: true }), { nil: null }),
    finish_reason: fc.option(fc.constantFrom('stop', 'length'), { nil: null }),
    status: fc.constantFrom('ok', 'error'),
    user_id: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
    cost_usd: fc.option(fc.double({ min: 0, max: 999_999, noNaN: true }), { nil: null }),
    metadata: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 4 }),
  },
  { requiredKeys: ['trace_id', 'timestamp', 'model'] },
);
/** One change that may or may not make it invalid, near a limit or of the wrong kind. */
const mutation = fc.oneof(
  fc.record({ field: fc.constantFrom(...FIELDS), value: fc.constantFrom(null, '', 'x', -1, 0, 1.5, 604_800_000, 604_800_001, Number.MAX_SAFE_INTEGER, 1_000_000, 999_999.999, true, [], {}, 'ok', 'OK', '12', 1_700_000_000, '2026-01-31', 'yesterday', 'auto', 'priority', 100_001, 5001) }),
  fc.record({ field: fc.constantFrom(...Object.keys(LIMITS)), value: fc.constantFrom(-1, 0, 1).chain((d) => fc.constantFrom('a', '😀', 'é').map((c) => ({ d, c }))) }).map(({ field, value }) => ({ field, value: value.c === '😀' ? '😀'.repeat(Math.ceil((LIMITS[field] + value.d) / 2)) : value.c.repeat(LIMITS[field] + value.d) })),
  fc.record({ field: fc.constant('metadata'), value: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.string(), { minKeys: 63, maxKeys: 66 }), fc.constant({ k: 'v'.repeat(4097) }), fc.constant({ k: 1 })) }),
  fc.record({ field: fc.constantFrom('typo', 'Trace_id', 'extra'), value: fc.constant('x') }),
  fc.record({ field: fc.constantFrom(...FIELDS), value: fc.constant(undefined) }),
);
const event = fc.tuple(valid, fc.array(mutation, { maxLength: 2 })).map(([e, ms]) => {
  const out: Record<string, unknown> = { ...e };
  for (const m of ms) {
    if (m.value === undefined) delete out[m.field];
    else out[m.field] = m.value;
  }
  return out;
});

describe('trace event: the compiled fast path and the zod schema agree', () => {
  it('on random events near every limit: the fast path accepts only what zod accepts, with the same value', () => {
    let accepted = 0;
    let valid = 0;
    fc.assert(
      fc.property(event, (raw) => {
        const input = JSON.parse(JSON.stringify(raw)) as object; // as it arrives over HTTP
        const fast = fastParseTraceEvent(input);
        const slow = zod(input);
        if (slow !== null) valid++;
        if (fast !== null) {
          accepted++;
          assert.deepStrictEqual(fast, slow);
        }
      }),
      { numRuns: 5000, seed: 20261201 },
    );
    assert.ok(valid > 300, `the generator made ${valid} valid events of 5000`);
    assert.ok(accepted >= valid * 0.95, `the fast path took ${accepted} of the ${valid} valid events (it should take nearly all)`);
  });

  it('takes ordinary valid events itself, whatever their optional fields', () => {
    const e = { trace_id: 't', timestamp: '2026-01-31T12:00:00Z', model: 'gpt-4o', input_tokens: 10, cached_input_tokens: 4, output_tokens: 3, latency_ms: 12.6, metadata: { team: 'a' } };
    const fast = fastParseTraceEvent(e);
    assert.ok(fast);
    assert.deepStrictEqual(fast, zod(e));
    assert.equal(fast.latency_ms, 13);
    assert.equal(fast.timestamp, Date.UTC(2026, 0, 31, 12));
  });

  it('leaves to zod what it must name: unknown fields, bad types, a __proto__ metadata key, broken token rules', () => {
    for (const bad of [
      { trace_id: 't', timestamp: 1_800_000_000_000, model: 'm', typo: 1 },
      { trace_id: 't', timestamp: 1_800_000_000_000, model: 'm', input_tokens: '5' },
      { trace_id: 't', timestamp: 1_800_000_000_000, model: 'm', input_tokens: 1, cached_input_tokens: 2 },
      { trace_id: 't', timestamp: 1_800_000_000_000, model: 'm', cache_write_tokens: 1, input_tokens: 5, cache_write_1h_tokens: 2 },
      { trace_id: 't', timestamp: 1_800_000_000_000, model: 'm', input_tokens: 5, cached_input_tokens: 3, input_audio_tokens: 3 },
      { trace_id: 't', timestamp: 1_800_000_000_000, model: 'm', output_tokens: 5, reasoning_tokens: 3, output_image_tokens: 3 },
      { trace_id: 't', timestamp: 1_800_000_000_000, model: 'm', service_tier: 'auto' },
      { trace_id: 't', timestamp: 1_800_000_000, model: 'm' },
      JSON.parse('{"trace_id":"t","timestamp":1800000000000,"model":"m","metadata":{"__proto__":"x"}}') as object,
    ]) {
      assert.equal(fastParseTraceEvent(bad), null, JSON.stringify(bad));
    }
  });
});
