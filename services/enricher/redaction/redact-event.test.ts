import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTraceEvent, type TraceEvent } from '../../core/schema/trace-event.ts';
import { redactEvent } from './redact-event.ts';
import { REDACTION_OFF, type RedactionSettings } from './redaction-settings.ts';

function event(over: Record<string, unknown> = {}): TraceEvent {
  const parsed = parseTraceEvent({
    trace_id: 't-1',
    timestamp: Date.UTC(2026, 0, 1),
    model: 'gpt-4o',
    feature: 'support-chat',
    input: 'I am jane@example.com, card 4111 1111 1111 1111',
    output: 'Thanks! We will call +1 (415) 555-2671 and jane@example.com.',
    metadata: { customer: 'bob@corp.io', team: 'care', input_tokens_note: '1234567890' },
    ...over,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

const ALL: RedactionSettings = { features: ['support-*'], kinds: ['email', 'phone', 'card', 'iban', 'secret'], fields: ['input', 'output', 'metadata'] };

describe('redactEvent', () => {
  it('redacts input, output and metadata values of opted-in features and records counts in metadata', () => {
    const original = event();
    const r = redactEvent(original, ALL);
    assert.equal(r.applied, true);
    assert.deepEqual(r.counts, { email: 3, phone: 1, card: 1, iban: 0, secret: 0 });
    assert.equal(r.event.input, 'I am [REDACTED:email], card [REDACTED:card]');
    assert.equal(r.event.output, 'Thanks! We will call [REDACTED:phone] and [REDACTED:email].');
    assert.deepEqual(r.event.metadata, {
      customer: '[REDACTED:email]',
      team: 'care',
      input_tokens_note: '1234567890',
      'pii_redacted.email': '3',
      'pii_redacted.phone': '1',
      'pii_redacted.card': '1',
    });
    assert.equal(original.input, 'I am jane@example.com, card 4111 1111 1111 1111', 'the input event is not mutated');
  });

  it('leaves events of other features, and everything when off, untouched (same object)', () => {
    const other = event({ feature: 'code-assist' });
    assert.deepEqual(redactEvent(other, ALL), { event: other, counts: { email: 0, phone: 0, card: 0, iban: 0, secret: 0 }, applied: false });
    assert.equal(redactEvent(other, ALL).event, other);
    const e = event();
    assert.equal(redactEvent(e, REDACTION_OFF).event, e);
    assert.equal(redactEvent(e, undefined).event, e);
  });

  it('matches features by glob list, exact names included, and * for all', () => {
    assert.equal(redactEvent(event({ feature: 'checkout' }), { ...ALL, features: ['support-*', 'checkout'] }).applied, true);
    assert.equal(redactEvent(event({ feature: 'checkout-v2' }), { ...ALL, features: ['checkout'] }).applied, false);
    assert.equal(redactEvent(event({ feature: 'anything' }), { ...ALL, features: ['*'] }).applied, true);
  });

  it('scans only the configured fields and kinds', () => {
    const r = redactEvent(event(), { ...ALL, kinds: ['email'], fields: ['output'] });
    assert.equal(r.event.input, 'I am jane@example.com, card 4111 1111 1111 1111');
    assert.equal(r.event.output, 'Thanks! We will call +1 (415) 555-2671 and [REDACTED:email].');
    assert.equal(r.event.metadata.customer, 'bob@corp.io');
    assert.equal(r.event.metadata['pii_redacted.email'], '1');
    assert.deepEqual(r.counts, { email: 1, phone: 0, card: 0, iban: 0, secret: 0 });
  });

  it('writes no count keys when nothing was found, keeps null texts null, and drops forged count keys', () => {
    const clean = event({ input: null, output: 'All good.', metadata: { team: 'care', 'pii_redacted.card': '99' } });
    const r = redactEvent(clean, ALL);
    assert.equal(r.applied, true);
    assert.equal(r.event.input, null);
    assert.equal(r.event.output, 'All good.');
    assert.deepEqual(r.event.metadata, { team: 'care' });
  });

  it('keeps a forged count key on events that are not scanned (they are not touched at all)', () => {
    const e = event({ feature: 'code-assist', metadata: { 'pii_redacted.card': '99' } });
    assert.deepEqual(redactEvent(e, ALL).event.metadata, { 'pii_redacted.card': '99' });
  });
});
