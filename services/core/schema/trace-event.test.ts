import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeErrors, parseTraceEvent } from './trace-event.ts';

const base = { trace_id: 't1', timestamp: '2026-11-01T10:00:00Z', model: 'gpt-4o' };

test('a minimal event gets defaults for every optional field', () => {
  const r = parseTraceEvent(base);
  assert.ok(r.ok);
  assert.equal(r.value.timestamp, Date.UTC(2026, 10, 1, 10));
  assert.equal(r.value.feature, 'default');
  assert.equal(r.value.environment, 'production');
  assert.equal(r.value.status, 'ok');
  assert.equal(r.value.input_tokens, 0);
  assert.equal(r.value.cost_usd, null);
  assert.deepEqual(r.value.metadata, {});
});

test('epoch milliseconds and ISO-8601 with offsets are accepted', () => {
  const a = parseTraceEvent({ ...base, timestamp: 1_790_000_000_000 });
  const b = parseTraceEvent({ ...base, timestamp: '2026-11-01T12:00:00+02:00' });
  assert.ok(a.ok && b.ok);
  assert.equal(b.value.timestamp, Date.UTC(2026, 10, 1, 10));
});

test('errors name the field and the problem', () => {
  const r = parseTraceEvent({ timestamp: 'yesterday', model: 5, input_tokens: -1, status: 'boom', metadata: { team: 1 }, inptu_tokens: 3 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const byField = Object.fromEntries(r.errors.map((e) => [e.field, e.message]));
  assert.equal(byField.trace_id, 'required field is missing');
  assert.match(byField.timestamp, /ISO-8601/);
  assert.equal(byField.model, 'expected a string');
  assert.equal(byField.input_tokens, 'must be >= 0');
  assert.match(byField.status, /"ok" or "error"/);
  assert.equal(byField['metadata.team'], 'metadata values must be strings');
  assert.equal(byField.inptu_tokens, 'unknown field');
});

test('epoch seconds by mistake are rejected with a hint', () => {
  const r = parseTraceEvent({ ...base, timestamp: 1_790_000_000 });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(describeErrors(r.errors), /timestamp: out of range .*epoch seconds/);
});

test('token subsets must fit inside their totals (OpenTelemetry GenAI convention)', () => {
  const r = parseTraceEvent({ ...base, input_tokens: 100, cached_input_tokens: 80, cache_write_tokens: 30, output_tokens: 10, reasoning_tokens: 11 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.errors.map((e) => e.field).sort(), ['cached_input_tokens', 'reasoning_tokens']);
});

test('a non-object is rejected as a whole', () => {
  for (const v of [null, 3, 'x', []]) {
    const r = parseTraceEvent(v);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.errors[0].field, '(event)');
  }
});

test('a client cost beyond what the cost column holds is rejected at the edge', () => {
  const r = parseTraceEvent({ ...base, cost_usd: 1_000_000 });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(describeErrors(r.errors), 'cost_usd: must be below 1,000,000 USD');
});

test('billing fields: service_tier (standard is stored as default), 1-hour cache writes, audio and image tokens', () => {
  const r = parseTraceEvent({
    ...base, input_tokens: 1000, cached_input_tokens: 100, cache_write_tokens: 200, cache_write_1h_tokens: 150, input_audio_tokens: 300,
    input_image_tokens: 400, output_tokens: 100, reasoning_tokens: 10, output_audio_tokens: 50, output_image_tokens: 40, service_tier: 'standard',
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.service_tier, 'default');
  assert.deepEqual(
    [r.value.cache_write_1h_tokens, r.value.input_audio_tokens, r.value.input_image_tokens, r.value.output_audio_tokens, r.value.output_image_tokens],
    [150, 300, 400, 50, 40],
  );
  const none = parseTraceEvent(base);
  assert.ok(none.ok);
  assert.equal(none.value.service_tier, null);
  assert.equal(none.value.input_audio_tokens, 0);
});

test('a part larger than its whole is refused, naming both fields', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ input_tokens: 100, cache_write_tokens: 10, cache_write_1h_tokens: 11 }, 'cache_write_1h_tokens', /exceeds cache_write_tokens/],
    [{ input_tokens: 100, input_audio_tokens: 101 }, 'input_audio_tokens', /exceeds input_tokens/],
    [{ input_tokens: 100, input_image_tokens: 101 }, 'input_image_tokens', /exceeds input_tokens/],
    [{ output_tokens: 10, output_audio_tokens: 11 }, 'output_audio_tokens', /exceeds output_tokens/],
    [{ output_tokens: 10, output_image_tokens: 11 }, 'output_image_tokens', /exceeds output_tokens/],
    [{ input_tokens: 100, cached_input_tokens: 60, input_audio_tokens: 50 }, 'input_audio_tokens', /cached_input_tokens \+ cache_write_tokens \+ input_audio_tokens \+ input_image_tokens exceed input_tokens/],
    [{ output_tokens: 10, reasoning_tokens: 6, output_image_tokens: 5 }, 'output_image_tokens', /reasoning_tokens \+ output_audio_tokens \+ output_image_tokens exceed output_tokens/],
  ];
  for (const [fields, field, message] of cases) {
    const r = parseTraceEvent({ ...base, ...fields });
    assert.equal(r.ok, false, JSON.stringify(fields));
    if (r.ok) continue;
    assert.deepEqual(r.errors.map((e) => e.field), [field], JSON.stringify(r.errors));
    assert.match(r.errors[0].message, message);
  }
});

test('service_tier names the values it takes (a request\'s "auto" is not how a call was billed)', () => {
  const r = parseTraceEvent({ ...base, service_tier: 'auto' });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(describeErrors(r.errors), /^service_tier: expected one of default, flex, priority, batch/);
});

test('spans: an event without span fields is one LLM call; a span that calls no model needs no model; errors name the field', () => {
  const call = parseTraceEvent(base);
  assert.ok(call.ok);
  if (call.ok) assert.deepEqual([call.value.span_id, call.value.parent_span_id, call.value.span_kind, call.value.span_name], ['', '', 'llm', '']);

  const tool = parseTraceEvent({ trace_id: 't1', timestamp: 1_790_000_000_000, span_id: 's2', parent_span_id: 's1', span_kind: 'tool', span_name: 'lookup' });
  assert.ok(tool.ok);
  if (tool.ok) assert.equal(tool.value.model, '');

  const noModel = (over: Record<string, unknown>) => {
    const r = parseTraceEvent({ trace_id: 't1', timestamp: 1_790_000_000_000, ...over });
    return r.ok ? 'ok' : describeErrors(r.errors);
  };
  assert.equal(noModel({}), 'model: required field is missing', 'an LLM call (the default kind) names its model');
  assert.equal(noModel({ span_kind: 'embedding', model: '' }), 'model: must not be empty');
  assert.match(noModel({ model: 'm', span_kind: 'chain' }), /^span_kind: expected one of llm, embedding, agent, tool, retrieval, workflow, other/);
  assert.equal(noModel({ model: 'm', span_id: 'a', parent_span_id: 'a' }), 'parent_span_id: a span cannot be its own parent');
  assert.match(noModel({ model: 'm', span_id: 'x'.repeat(65) }), /^span_id: longer than 64 characters/);
});
