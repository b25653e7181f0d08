import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { BusMessage, EventBus } from '../core/bus/event-bus.ts';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { createHttpApp } from '../core/http-app.ts';
import { silentLogger } from '../core/logger.ts';
import { decodeScore, type Score } from '../core/schema/score.ts';
import { registerFeedbackRoutes } from './feedback-routes.ts';
import { feedbackScoreId, parseFeedbackItem } from './feedback-schema.ts';

const TOPIC = 'llm.scores';
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const registry = loadAvroRegistry();

function buildApp(bus: EventBus, maxItems = 10): FastifyInstance {
  const app = createHttpApp({ log: silentLogger(), bodyLimit: 1 << 20 });
  registerFeedbackRoutes(app, { bus, registry, log: silentLogger(), topic: TOPIC, ackTimeoutMs: 5_000, maxItems, now: () => NOW });
  return app;
}

describe('feedback values', () => {
  const cases: [string, Record<string, unknown>, number, boolean, string][] = [
    ['thumbs "up"', { value: 'up' }, 1, true, 'thumbs'],
    ['thumbs "down"', { value: 'down' }, 0, false, 'thumbs'],
    ['thumbs true', { value: true }, 1, true, 'thumbs'],
    ['thumbs false', { value: false }, 0, false, 'thumbs'],
    ['{"rating": 4}', { value: { rating: 4 } }, 0.75, true, 'rating'],
    ['{"rating": 3}', { value: { rating: 3 } }, 0.5, false, 'rating'],
    ['{"rating": 1}', { value: { rating: 1 } }, 0, false, 'rating'],
    ['5 with scale 1-5', { value: 5, scale: '1-5' }, 1, true, 'rating'],
    ['score 0.5', { value: 0.5 }, 0.5, true, 'score'],
    ['score 0.49', { value: 0.49 }, 0.49, false, 'score'],
    ['score 1 (not one star)', { value: 1 }, 1, true, 'score'],
    ['score 0 with scale 0-1', { value: 0, scale: '0-1' }, 0, false, 'score'],
  ];
  for (const [label, extra, value, passed, kind] of cases) {
    it(`${label} → value ${value}, passed ${passed}`, () => {
      const r = parseFeedbackItem({ trace_id: 't1', ...extra });
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.value.value, value);
      assert.equal(r.value.passed, passed);
      assert.equal(r.value.kind, kind);
      assert.equal(r.value.name, 'user_feedback');
    });
  }

  const bad: [string, unknown, string, RegExp][] = [
    ['a missing value', { trace_id: 't1' }, 'value', /required/],
    ['a missing trace_id', { value: 'up' }, 'trace_id', /required/],
    ['a rating of 6', { trace_id: 't', value: { rating: 6 } }, 'value.rating', /1 to 5/],
    ['a half-star rating', { trace_id: 't', value: { rating: 3.5 } }, 'value.rating', /whole number/],
    ['a bare 4 without a scale', { trace_id: 't', value: 4 }, 'value', /0–1 score.*"rating": 4/],
    ['a negative score', { trace_id: 't', value: -0.1 }, 'value', /0–1 score/],
    ['7 on scale 1-5', { trace_id: 't', value: 7, scale: '1-5' }, 'value', /1 to 5/],
    ['a scale on thumbs', { trace_id: 't', value: 'up', scale: '1-5' }, 'scale', /numeric/],
    ['a rating on scale 0-1', { trace_id: 't', value: { rating: 4 }, scale: '0-1' }, 'scale', /contradicts/],
    ['an unknown scale', { trace_id: 't', value: 0.3, scale: '1-10' }, 'scale', /"0-1", "1-5"/],
    ['"yes"', { trace_id: 't', value: 'yes' }, 'value', /"up" or "down"/],
    ['an unknown key in value', { trace_id: 't', value: { stars: 4 } }, 'value.stars', /unknown field/],
    ['an unknown field', { trace_id: 't', value: 'up', thumbs: 'up' }, 'thumbs', /unknown field/],
    ['an empty name', { trace_id: 't', value: 'up', name: '' }, 'name', /empty/],
    ['a numeric comment', { trace_id: 't', value: 'up', comment: 5 }, 'comment', /string/],
    ['a non-string metadata value', { trace_id: 't', value: 'up', metadata: { a: 1 } }, 'metadata.a', /strings/],
    ['a trace_id over 128 characters', { trace_id: 'x'.repeat(129), value: 'up' }, 'trace_id', /128/],
  ];
  for (const [label, input, field, message] of bad) {
    it(`rejects ${label}, naming ${field}`, () => {
      const r = parseFeedbackItem(input);
      assert.equal(r.ok, false);
      if (r.ok) return;
      const hit = r.errors.find((e) => e.field === field);
      assert.ok(hit, `no error on ${field}: ${JSON.stringify(r.errors)}`);
      assert.match(hit.message, message);
    });
  }

  it('score_id: the client feedback_id, else a hash of trace_id + name + user_id', () => {
    assert.equal(feedbackScoreId({ trace_id: 't', name: 'n', user_id: 'u', feedback_id: 'client-1' }), 'client-1');
    const a = feedbackScoreId({ trace_id: 't', name: 'n', user_id: 'u', feedback_id: null });
    assert.equal(a, feedbackScoreId({ trace_id: 't', name: 'n', user_id: 'u', feedback_id: null }));
    assert.match(a, /^fb_[0-9a-f]{32}$/);
    assert.notEqual(a, feedbackScoreId({ trace_id: 't', name: 'n', user_id: 'v', feedback_id: null }));
    assert.notEqual(a, feedbackScoreId({ trace_id: 't', name: 'm', user_id: 'u', feedback_id: null }));
    // no separator ambiguity: ("ab","c") and ("a","bc") differ
    assert.notEqual(
      feedbackScoreId({ trace_id: 'ab', name: 'c', user_id: null, feedback_id: null }),
      feedbackScoreId({ trace_id: 'a', name: 'bc', user_id: null, feedback_id: null }),
    );
  });
});

describe('POST /v1/feedback', () => {
  const bus = createMemoryBus();
  const published: BusMessage[] = [];
  let app: FastifyInstance;

  before(async () => {
    await bus.subscribe({ topics: [TOPIC], group: 'test', onBatch: async (b) => void published.push(...b.messages) });
    app = buildApp(bus);
    await app.ready();
  });
  after(async () => {
    await app.close();
    await bus.close();
  });

  async function post(body: unknown) {
    const before = published.length;
    const res = await app.inject({ method: 'POST', url: '/v1/feedback', payload: body as object });
    // the memory bus delivers asynchronously; wait for what this request published
    for (let i = 0; i < 200 && res.statusCode < 300 && published.length === before; i++) await new Promise((r) => setImmediate(r));
    return { status: res.statusCode, body: res.json(), headers: res.headers, scores: published.slice(before).map((m) => ({ key: m.key, score: decodeScore(registry, m.value) })) };
  }

  it('one item: 202 and a Score on llm.scores with source user, evaluator feedback, no dims', async () => {
    const r = await post({ trace_id: 'tr-1', value: { rating: 5 }, comment: 'great', user_id: 'u-7', metadata: { page: 'chat' } });
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 1);
    assert.equal(r.scores.length, 1);
    const { key, score } = r.scores[0];
    assert.equal(key, 'tr-1');
    const expected: Score = {
      score_id: feedbackScoreId({ trace_id: 'tr-1', name: 'user_feedback', user_id: 'u-7', feedback_id: null }),
      trace_id: 'tr-1',
      name: 'user_feedback',
      value: 1,
      passed: true,
      source: 'user',
      status: 'ok',
      evaluator: 'feedback',
      rule: '',
      reason: null,
      comment: 'great',
      ts: NOW,
      trace_ts: null,
      feature: null,
      model: null,
      prompt_version: null,
      environment: null,
      metadata: { page: 'chat', 'feedback.kind': 'rating', 'feedback.raw': '5', 'feedback.user_id': 'u-7' },
    };
    assert.deepEqual({ ...score, metadata: { ...score.metadata } }, expected);
    assert.deepEqual(r.body.results, [{ index: 0, status: 'accepted', trace_id: 'tr-1', score_id: expected.score_id }]);
  });

  it('a batch with a bad item: 207, per-item results naming the field, the good ones published', async () => {
    const r = await post({
      feedback: [
        { trace_id: 'tr-2', value: 'down', name: 'thumbs', feedback_id: 'fb-client-2' },
        { trace_id: 'tr-3', value: 3 },
        { trace_id: 'tr-4', value: 0.8 },
      ],
    });
    assert.equal(r.status, 207);
    assert.equal(r.body.accepted, 2);
    assert.equal(r.body.rejected, 1);
    assert.equal(r.body.results[1].status, 'rejected');
    assert.equal(r.body.results[1].errors[0].field, 'value');
    assert.match(r.body.results[1].error, /^value: /);
    assert.deepEqual(r.scores.map((s) => [s.score.score_id, s.score.value]).sort(), [
      ['fb-client-2', 0],
      [feedbackScoreId({ trace_id: 'tr-4', name: 'user_feedback', user_id: null, feedback_id: null }), 0.8],
    ].sort());
  });

  it('the same vote twice in one batch is published once, the later one', async () => {
    const r = await post({ feedback: [{ trace_id: 'tr-5', value: 'up' }, { trace_id: 'tr-5', value: 'down' }] });
    assert.equal(r.status, 202);
    assert.equal(r.body.results[0].score_id, r.body.results[1].score_id);
    assert.equal(r.scores.length, 1);
    assert.equal(r.scores[0].score.value, 0);
  });

  it('400 when nothing is valid, naming the field; 400 on a malformed body', async () => {
    const one = await post({ trace_id: 'tr-6', value: 9 });
    assert.equal(one.status, 400);
    assert.match(one.body.message, /^value: a number is a 0–1 score/);
    assert.equal(one.scores.length, 0);
    assert.equal((await post({ feedback: [{ value: 'up' }] })).status, 400);
    assert.equal((await post({ feedback: 'up' })).status, 400);
    assert.equal((await post({ feedback: [] })).status, 400);
    assert.equal((await post([{ trace_id: 't', value: 'up' }])).status, 400);
    const notJson = await app.inject({ method: 'POST', url: '/v1/feedback', headers: { 'content-type': 'application/json' }, payload: '{"trace_id":' });
    assert.equal(notJson.statusCode, 400);
  });

  it('413 beyond maxItems', async () => {
    const r = await post({ feedback: Array.from({ length: 11 }, (_, i) => ({ trace_id: `t${i}`, value: 'up' })) });
    assert.equal(r.status, 413);
  });
});

describe('POST /v1/feedback when the bus does not take it', () => {
  it('answers 503 with Retry-After', async () => {
    const down: EventBus = {
      publish: async () => {
        throw new Error('broker unavailable');
      },
      subscribe: async () => ({ close: async () => {} }),
      close: async () => {},
    };
    const app = buildApp(down);
    const res = await app.inject({ method: 'POST', url: '/v1/feedback', payload: { trace_id: 't', value: 'up' } });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '5');
    await app.close();
  });
});
