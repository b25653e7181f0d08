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
