import { MINUTE_MS } from '../core/time.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnrichedTrace } from '../core/schema/enriched-trace.ts';
import type { Score } from '../core/schema/score.ts';
import { createMinuteAggregator } from './minute-aggregator.ts';
import { ALL } from './types.ts';

const T0 = Date.UTC(2026, 10, 23, 12, 0);

function trace(id: string, ts: number, over: Partial<EnrichedTrace['event']> = {}, costPico: number | null = 2_000_000_000): EnrichedTrace {
  return {
    event: {
      trace_id: id, span_id: '', parent_span_id: '', span_kind: 'llm', span_name: '', timestamp: ts, model: 'gpt-4o', provider: null, feature: 'chat', prompt_version: 'v1', environment: 'production',
      input_tokens: 100, output_tokens: 50, cached_input_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cache_write_1h_tokens: 0,
      input_audio_tokens: 0, output_audio_tokens: 0, input_image_tokens: 0, output_image_tokens: 0, service_tier: null, latency_ms: 400,
      time_to_first_token_ms: null, finish_reason: null, status: 'ok', error_type: null, user_id: null, session_id: null,
      system_prompt_hash: null, input: null, output: null, cost_usd: null, metadata: {}, ...over,
    },
    cost_pico_usd: costPico, cost_breakdown: null, pricing_status: costPico === null ? 'unpriced' : 'priced', priced_model: null,
    price_version: null, unpriced_reason: null, pricing_note: null, received_at: ts, source_partition: 0, source_offset: 0,
  };
}

function score(traceId: string, ts: number, over: Partial<Score> = {}): Score {
  return {
    score_id: `${traceId}-${ts}`, trace_id: traceId, name: 'q', value: 1, passed: true, source: 'eval', status: 'ok', evaluator: 'e', rule: 'r',
    reason: null, comment: null, ts, trace_ts: null, feature: 'chat', model: 'gpt-4o', prompt_version: null, environment: null, metadata: {}, ...over,
  };
}

describe('minute aggregator', () => {
  it('sums each minute into the four series levels by event time', () => {
    const agg = createMinuteAggregator({ graceMs: 30_000 });
    agg.addTrace(trace('a', T0 + 1_000));
    agg.addTrace(trace('b', T0 + 2_000, { status: 'error', latency_ms: 1000 }));
    agg.addTrace(trace('c', T0 + 3_000, { feature: 'search', model: 'claude' }, null));
    agg.addTrace(trace('d', T0 + MINUTE_MS + 5, { prompt_version: 'v2' }));
    agg.addTrace(trace('a', T0 + 1_500, { span_id: 'root', span_kind: 'agent', model: '', status: 'error' }, null)); // calls no model: not a request
    assert.deepEqual(agg.closeReady(T0 + MINUTE_MS + 29_000), [], 'the minute is open until its grace has passed');
    const [first, ...rest] = agg.closeReady(T0 + MINUTE_MS + 30_000);
    assert.equal(rest.length, 0);
    assert.equal(first.minute, T0);
    const get = (feature: string, model: string) => first.rows.find((r) => r.series.feature === feature && r.series.model === model)?.agg;
    assert.equal(first.rows.length, 7, 'chat/gpt-4o, chat/*, */gpt-4o, search/claude, search/*, */claude, */*');
    const total = get(ALL, ALL)!;
    assert.equal(total.requests, 3);
    assert.equal(total.errors, 1);
    assert.equal(total.unpriced, 1);
    assert.ok(Math.abs(total.cost_usd - 0.004) < 1e-12);
    assert.equal(total.tokens, 450);
    assert.deepEqual(get('chat', 'gpt-4o')!.prompt_versions, ['v1']);
    assert.equal(get('search', ALL)!.requests, 1);
    assert.equal(get(ALL, 'claude')!.unpriced, 1);
    const p95 = get('chat', 'gpt-4o')!.latency_p95_ms!;
    assert.ok(Math.abs(p95 - 1000) / 1000 < 0.03, `p95 ${p95}`);
  });

  it('closes empty minutes too, in order, and drops events of closed minutes as late', () => {
    const agg = createMinuteAggregator({ graceMs: 0 });
    agg.markClosedThrough(T0 - MINUTE_MS);
    agg.addTrace(trace('a', T0 + 10));
    const closed = agg.closeReady(T0 + 3 * MINUTE_MS);
    assert.deepEqual(closed.map((c) => [c.minute, c.rows.length]), [[T0, 4], [T0 + MINUTE_MS, 0], [T0 + 2 * MINUTE_MS, 0]]);
    agg.addTrace(trace('late', T0 + 20));
    assert.equal(agg.stats().late_traces, 1);
    assert.deepEqual(agg.closeReady(T0 + 3 * MINUTE_MS), []);
  });

  it('counts evals and user feedback; feedback finds its trace series from recent traces', () => {
    const agg = createMinuteAggregator({ graceMs: 0 });
    agg.markClosedThrough(T0 - MINUTE_MS);
    agg.addTrace(trace('t1', T0 + 1));
    agg.addScore(score('t1', T0 + 2, { value: 0.5 }));
    agg.addScore(score('t1', T0 + 3, { value: null, passed: null }));
    agg.addScore(score('t1', T0 + 4, { status: 'error', value: 0 }));
    agg.addScore(score('t1', T0 + 5, { source: 'user', feature: null, model: null, value: 0, passed: false }));
    agg.addScore(score('unknown', T0 + 6, { source: 'user', feature: null, model: null, value: 0.9, passed: null }));
    const [m] = agg.closeReady(T0 + MINUTE_MS);
    const get = (feature: string, model: string) => m.rows.find((r) => r.series.feature === feature && r.series.model === model)!.agg;
    assert.equal(get('chat', 'gpt-4o').eval_count, 1, 'error results and null values are not quality');
    assert.equal(get('chat', 'gpt-4o').eval_sum, 0.5);
    assert.equal(get('chat', 'gpt-4o').feedback_count, 1);
    assert.equal(get('chat', 'gpt-4o').feedback_negative, 1);
    assert.equal(get(ALL, ALL).feedback_count, 2, 'feedback of an unknown trace counts globally');
    assert.equal(get(ALL, ALL).feedback_negative, 1);
    assert.equal(agg.stats().feedback_without_trace, 1);
  });
});
