/**
 * Known scores and traces for the quality endpoint tests. Scores are stored through the
 * writer's own mapping (toScoreRow), so the tests read what the pipeline writes.
 * Timestamps are relative to now: the embedded engine applies TTLs at insert time.
 */
import type { Score } from '../../../services/core/schema/score.ts';
import { toScoreRow } from '../../../services/writer/score-row.ts';
import { toRow, type TraceFixture } from './known-traces.ts';

export function trace(trace_id: string, tsMs: number, feature: string, model: string, prompt_version: string, environment: string): TraceFixture {
  return {
    trace_id, tsMs, model, provider: 'openai', feature, prompt_version, environment,
    input_tokens: 10, output_tokens: 5, cached_input_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0,
    costPico: 1_000_000n, clientCostPico: null, latency_ms: 100, ttft_ms: null, status: 'ok',
  };
}

export const traceRow = toRow;

interface EvalSpec {
  id: string;
  trace: TraceFixture;
  name: string;
  value: number | null;
  passed: boolean | null;
  ts: number;
}

/** An eval score: carries its trace's dimensions. value null = an error result. */
export function evalScore(s: EvalSpec): Score {
  return {
    score_id: s.id, trace_id: s.trace.trace_id, name: s.name, value: s.value, passed: s.passed, source: 'eval',
    status: s.value === null ? 'error' : 'ok', evaluator: 'llm_judge', rule: 'rule-1',
    reason: s.value === null ? 'judge timed out' : 'ok', comment: null, ts: s.ts, trace_ts: s.trace.tsMs,
    feature: s.trace.feature, model: s.trace.model, prompt_version: s.trace.prompt_version, environment: s.trace.environment,
    metadata: {},
  };
}

/** User feedback as POST /v1/feedback publishes it: no dimensions. */
export function feedbackScore(id: string, trace_id: string, value: number, passed: boolean, ts: number): Score {
  return {
    score_id: id, trace_id, name: 'user_feedback', value, passed, source: 'user', status: 'ok', evaluator: 'feedback',
    rule: '', reason: null, comment: null, ts, trace_ts: null, feature: null, model: null, prompt_version: null,
    environment: null, metadata: {},
  };
}

export const scoreRow = toScoreRow;
