import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRules } from '../rules/load.ts';
import type { EvaluatorConfig } from '../rules/evaluator-schema.ts';
import type { Evaluator } from '../types.ts';
import { contentTerms, groundednessScore } from './groundedness.ts';
import { createEvaluator } from './index.ts';
import { stripCodeFence } from './result.ts';
import { evalInput } from '../../../test/support/evaluator/eval-input.ts';

/** Builds an evaluator through the real config schema, so defaults apply as in a rules file. */
function make(evaluator: Record<string, unknown>): Evaluator {
  const file = parseRules({ version: 1, rules: [{ name: 'check', sample_rate: 1, evaluator }] });
  return createEvaluator(file.rules[0].evaluator as EvaluatorConfig, 'check');
}

const run = (ev: Evaluator, over: Parameters<typeof evalInput>[0]) => ev.evaluate(evalInput(over));

describe('json_valid / json_schema', () => {
  it('json_valid passes parseable JSON only; code fences only when allowed', async () => {
    const ev = make({ type: 'json_valid' });
    assert.deepEqual(await run(ev, { output: '{"a":1}' }), { name: 'check', evaluator: 'json_valid', status: 'ok', value: 1, passed: true, reason: null });
    const bad = await run(ev, { output: '{"a":' });
    assert.equal(bad.passed, false);
    assert.equal(bad.value, 0);
    assert.match(bad.reason!, /^not valid JSON/);
    assert.equal((await run(ev, { output: '```json\n{"a":1}\n```' })).passed, false);
    assert.equal((await run(make({ type: 'json_valid', allow_code_fence: true }), { output: '```json\n{"a":1}\n```' })).passed, true);
    assert.equal(stripCodeFence('```\n[1]\n```'), '[1]');
  });

  it('json_schema validates with ajv and names the failing path', async () => {
    const ev = make({ type: 'json_schema', schema: { type: 'object', required: ['total'], properties: { total: { type: 'number' } } } });
    assert.equal((await run(ev, { output: '{"total": 12.5}' })).passed, true);
    const wrong = await run(ev, { output: '{"total": "12"}' });
    assert.equal(wrong.passed, false);
    assert.match(wrong.reason!, /\/total must be number/);
    assert.match((await run(ev, { output: 'total: 12' })).reason!, /not valid JSON/);
  });
});

describe('regex', () => {
  it('must_match and must_not_match, with flags', async () => {
    const must = make({ type: 'regex', pattern: '\\border \\d+\\b', flags: 'i' });
    assert.equal((await run(must, { output: 'Your ORDER 42 shipped' })).passed, true);
    assert.equal((await run(must, { output: 'no number here' })).passed, false);
    const mustNot = make({ type: 'regex', pattern: '\\d{16}', mode: 'must_not_match' });
    assert.equal((await run(mustNot, { output: 'card ending 4242' })).passed, true);
    const leak = await run(mustNot, { output: 'card 4242424242424242' });
    assert.equal(leak.passed, false);
    assert.match(leak.reason!, /matches .* at "4242424242424242"/);
  });
});

describe('contains / forbidden_terms', () => {
  it('contains all: value is the share found; any: one is enough; case-insensitive by default', async () => {
    const all = make({ type: 'contains', terms: ['Refund', 'orders page', 'email'] });
    const r = await run(all, {});
    assert.equal(r.passed, false);
    assert.ok(Math.abs(r.value! - 2 / 3) < 1e-12);
    assert.equal(r.reason, 'missing "email"');
    assert.equal((await run(make({ type: 'contains', terms: ['email', 'refund'], mode: 'any' }), {})).passed, true);
    assert.equal((await run(make({ type: 'contains', terms: ['Refund'], case_insensitive: false }), {})).passed, false);
  });

  it('forbidden_terms fails on any term, optionally only on whole words', async () => {
    const ev = make({ type: 'forbidden_terms', terms: ['password', 'ssn'] });
    const r = await run(ev, { output: 'Reset your PASSWORD here' });
    assert.deepEqual([r.passed, r.value, r.reason], [false, 0, 'contains "password"']);
    assert.equal((await run(ev, { output: 'All good' })).passed, true);
    assert.equal((await run(ev, { output: 'passwords' })).passed, false, 'substring by default');
    const whole = make({ type: 'forbidden_terms', terms: ['pass'], whole_word: true });
    assert.equal((await run(whole, { output: 'passwords' })).passed, true);
    assert.equal((await run(whole, { output: 'a pass, then' })).passed, false);
  });
});

describe('max_length', () => {
  it('counts characters (code points) and words', async () => {
    const chars = make({ type: 'max_length', max_chars: 5 });
    assert.equal((await run(chars, { output: 'héllo' })).passed, true);
    assert.equal((await run(chars, { output: '😀😀😀😀😀' })).passed, true, 'emoji count as one character each');
    const long = await run(chars, { output: 'hello!' });
    assert.deepEqual([long.passed, long.reason], [false, '6 characters > 5']);
    const words = make({ type: 'max_length', max_words: 3 });
    assert.equal((await run(words, { output: ' one  two\nthree ' })).passed, true);
    assert.equal((await run(words, { output: 'one two three four' })).reason, '4 words > 3');
  });
});

describe('finish_reason', () => {
  it('is stop by default, or one of a list; a missing finish_reason is not applicable', async () => {
    const ev = make({ type: 'finish_reason' });
    assert.equal((await run(ev, {})).passed, true);
    const len = await run(ev, { finish_reason: 'length' });
    assert.deepEqual([len.passed, len.reason], [false, 'finish_reason "length" is not "stop"']);
    assert.equal((await run(make({ type: 'finish_reason', allowed: ['stop', 'tool_calls'] }), { finish_reason: 'tool_calls' })).passed, true);
    assert.deepEqual(ev.requires, ['finish_reason']);
    assert.equal((await run(ev, { finish_reason: null })).status, 'error');
  });
});

describe('groundedness', () => {
  it('content terms drop stop words, short words and a plural s', () => {
    assert.deepEqual(contentTerms('The refunds are on THE orders page, for 30 days', 3), ['refund', 'order', 'page', 'day']);
  });

  it('value = share of output content words found in the reference', () => {
    const s = groundednessScore('Refunds take five days via the orders page', 'Refund policy: refunds are paid within five business days from the orders page.', 3);
    // output terms: refund, take, five, day, via, order, page → all but "take" and "via" are in the reference
    assert.equal(s.total, 7);
    assert.equal(s.supported, 5);
    assert.ok(Math.abs(s.value - 5 / 7) < 1e-12);
    assert.deepEqual(s.unsupported, ['take', 'via']);
    assert.equal(groundednessScore('ok, it is', 'x', 3).value, 1, 'no content words: nothing ungrounded');
  });

  it('passes at the threshold, against the context or the input', async () => {
    const ctx = make({ type: 'groundedness', threshold: 0.7 });
    const grounded = await run(ctx, { output: 'Refunds are paid within five days', context: 'Refunds are paid within five business days.' });
    assert.deepEqual([grounded.passed, grounded.value], [true, 1]);
    const drift = await run(ctx, { output: 'Shipping to Mars costs nothing', context: 'Refunds are paid within five business days.' });
    assert.equal(drift.passed, false);
    assert.match(drift.reason!, /^0\/4 output terms found in the context; unsupported: "shipping", "mar", "cost", "nothing"/);
    assert.deepEqual(ctx.requires, ['output', 'context']);
    const vsInput = make({ type: 'groundedness', against: 'input' });
    assert.equal((await run(vsInput, { input: 'refund order 42', output: 'refund for order 42' })).passed, true);
  });
});

describe('missing output', () => {
  it('every output check declares it needs the output and errors without one', async () => {
    for (const cfg of [{ type: 'json_valid' }, { type: 'regex', pattern: 'x' }, { type: 'contains', terms: ['x'] }, { type: 'max_length', max_chars: 3 }]) {
      const ev = make(cfg);
      assert.deepEqual(ev.requires, ['output']);
      const r = await run(ev, { output: null });
      assert.deepEqual([r.status, r.value, r.passed], ['error', null, null]);
    }
  });
});
