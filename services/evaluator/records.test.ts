import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { decodeScore, encodeScore } from '../core/schema/score.ts';
import { parseTraceEvent } from '../core/schema/trace-event.ts';
import { evalInput } from '../../test/support/evaluator/eval-input.ts';
import { createPendingQueue } from './pending.ts';
import { buildJudgeTrace, buildScore, judgeTraceId, scoreId } from './records.ts';
import type { ModelCall } from './types.ts';

const call: ModelCall = {
  model: 'gpt-4o-mini',
  provider: 'openai',
  started_at: Date.UTC(2026, 0, 1, 12),
  latency_ms: 850,
  attempts: 2,
  status: 'ok',
  error_type: null,
  finish_reason: 'stop',
  input_tokens: 1200,
  cached_input_tokens: 1000,
  output_tokens: 40,
  reasoning_tokens: 0,
  usage_estimated: false,
};

describe('scores', () => {
  it('score_id is deterministic in (rule, trace_id, name) and differs on any of them', () => {
    assert.equal(scoreId('r', 't', 'n'), scoreId('r', 't', 'n'));
    assert.match(scoreId('r', 't', 'n'), /^[0-9a-f]{32}$/);
    assert.equal(new Set([scoreId('r', 't', 'n'), scoreId('r2', 't', 'n'), scoreId('r', 't2', 'n'), scoreId('r', 't', 'n2')]).size, 4);
  });

  it('carries the trace dimensions and round-trips through the Avro schema', () => {
    const input = evalInput({ trace_id: 'trace-9', feature: 'code-assist', model: 'gpt-4o', prompt_version: 'v3', environment: 'staging' });
    const s = buildScore('helpful', input, { name: 'helpful', evaluator: 'llm_judge', status: 'ok', value: 0.8, passed: true, reason: 'good', call }, 1_000, { sampledBy: 'rate', judgeCostUsd: 0.000123 });
    assert.equal(s.score_id, scoreId('helpful', 'trace-9', 'helpful'));
    assert.deepEqual(
      [s.source, s.trace_ts, s.feature, s.model, s.prompt_version, s.environment, s.rule, s.ts],
      ['eval', input.timestamp, 'code-assist', 'gpt-4o', 'v3', 'staging', 'helpful', 1_000],
    );
    assert.deepEqual(s.metadata, { sampled_by: 'rate', judge_trace_id: judgeTraceId(s.score_id), judge_model: 'gpt-4o-mini', judge_cost_usd: '0.000123000' });
    const registry = loadAvroRegistry();
    // Avro decodes into its own record prototypes: compare the plain data.
    assert.deepEqual(JSON.parse(JSON.stringify(decodeScore(registry, encodeScore(registry, s)))), s);
  });

  it('an error result has no value and no verdict', () => {
    const s = buildScore('r', evalInput(), { name: 'r', evaluator: 'llm_judge', status: 'error', value: 0.3, passed: false, reason: 'x'.repeat(5000) }, 1, { sampledBy: 'stratum_min' });
    assert.deepEqual([s.status, s.value, s.passed], ['error', null, null]);
    assert.equal(s.reason!.length, 2001);
  });
});

describe('judge traces', () => {
  it('are valid raw trace events with feature eval_judge and an id derived from the score', () => {
    const input = evalInput({ trace_id: 'trace-9', environment: 'staging' });
    const id = scoreId('helpful', 'trace-9', 'helpful');
    const event = buildJudgeTrace('helpful', input, id, call, 0.00012);
    const parsed = parseTraceEvent(JSON.parse(JSON.stringify(event)));
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const e = parsed.value;
    assert.deepEqual(
      [e.trace_id, e.feature, e.model, e.prompt_version, e.environment, e.input_tokens, e.cached_input_tokens, e.output_tokens, e.latency_ms, e.status, e.cost_usd],
      [`eval-judge-${id}`, 'eval_judge', 'gpt-4o-mini', 'helpful', 'staging', 1200, 1000, 40, 850, 'ok', 0.00012],
    );
    assert.deepEqual(e.metadata, { rule: 'helpful', score_id: id, scored_trace_id: 'trace-9', attempts: '2', usage_estimated: 'false' });
  });

  it('a failed call is a valid error trace with no cost', () => {
    const failed = buildJudgeTrace('r', evalInput(), 'abc', { ...call, status: 'error', error_type: 'timeout', input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, finish_reason: null }, null);
    const parsed = parseTraceEvent(failed);
    assert.ok(parsed.ok);
    assert.deepEqual([parsed.value.status, parsed.value.error_type, parsed.value.cost_usd], ['error', 'timeout', null]);
  });
});

describe('pending queue', () => {
  it('starts items only when due and resolves each parker with its result', async () => {
    const q = createPendingQueue();
    const started: string[] = [];
    const a = q.park(100, async () => (started.push('a'), 'A'));
    const b = q.park(200, async () => (started.push('b'), 'B'));
    assert.equal(q.runDue(50), 0);
    assert.equal(q.nextDue(), 100);
    assert.equal(q.runDue(150), 1);
    assert.equal(await a, 'A');
    assert.deepEqual(started, ['a']);
    assert.equal(q.size(), 1);
    q.runDue(200);
    assert.equal(await b, 'B');
    assert.equal(q.size(), 0);
  });

  it('rejectAll fails waiting items (their batch stays uncommitted) and never runs them', async () => {
    const q = createPendingQueue();
    let ran = false;
    const p = q.park(0, async () => (ran = true));
    q.rejectAll(new Error('stopping'));
    await assert.rejects(p, /stopping/);
    q.runDue(Number.MAX_SAFE_INTEGER);
    assert.equal(ran, false);
  });
});
