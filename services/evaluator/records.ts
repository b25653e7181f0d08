import { createHash } from 'node:crypto';
import type { EnrichedTrace } from '../core/schema/enriched-trace.ts';
import type { Score } from '../core/schema/score.ts';
import type { SampleReason } from './sampling.ts';
import type { EvalInput, EvalResult, ModelCall } from './types.ts';

/**
 * Pure mappings between the pipeline's records and the evaluator's: enriched trace →
 * EvalInput, verdict → Score, judge call → raw trace event. Ids are deterministic so a
 * replay produces the same score_id / judge trace_id and ClickHouse collapses repeats.
 */
export const JUDGE_FEATURE = 'eval_judge';
const MAX_REASON = 2_000;

export function toEvalInput(trace: EnrichedTrace, contextKey: string): EvalInput {
  const e = trace.event;
  return {
    trace_id: e.trace_id,
    timestamp: e.timestamp,
    feature: e.feature,
    model: e.model,
    prompt_version: e.prompt_version,
    environment: e.environment,
    input: e.input,
    output: e.output,
    context: e.metadata[contextKey] ?? null,
    expected: e.metadata.expected ?? null,
    finish_reason: e.finish_reason,
    metadata: e.metadata,
  };
}

/** score_id = first 32 hex of sha256(rule ‖ 0 ‖ trace_id ‖ 0 ‖ score name). */
export function scoreId(rule: string, traceId: string, name: string): string {
  return createHash('sha256').update(`${rule}\u0000${traceId}\u0000${name}`).digest('hex').slice(0, 32);
}

/** The judge call's own trace: one per score, id derived from the score_id. */
export function judgeTraceId(scoreIdValue: string): string {
  return `eval-judge-${scoreIdValue}`;
}

export interface ScoreExtras {
  sampledBy: SampleReason;
  judgeCostUsd?: number | null;
}

export function buildScore(rule: string, input: EvalInput, result: EvalResult, ts: number, extras: ScoreExtras): Score {
  const id = scoreId(rule, input.trace_id, result.name);
  const metadata: Record<string, string> = { sampled_by: extras.sampledBy };
  if (result.call) {
    metadata.judge_trace_id = judgeTraceId(id);
    metadata.judge_model = result.call.model;
    if (extras.judgeCostUsd !== undefined && extras.judgeCostUsd !== null) metadata.judge_cost_usd = extras.judgeCostUsd.toFixed(9);
  }
  const reason = result.reason === null ? null : result.reason.length > MAX_REASON ? `${result.reason.slice(0, MAX_REASON)}…` : result.reason;
  return {
    score_id: id,
    trace_id: input.trace_id,
    name: result.name,
    value: result.status === 'ok' ? result.value : null,
    passed: result.status === 'ok' ? result.passed : null,
    source: 'eval',
    status: result.status,
    evaluator: result.evaluator,
    rule,
    reason,
    comment: null,
    ts,
    trace_ts: input.timestamp,
    feature: input.feature,
    model: input.model,
    prompt_version: input.prompt_version,
    environment: input.environment,
    metadata,
  };
}

const MAX_LATENCY_MS = 86_400_000 * 7 - 1; // the trace-event schema's limit

/**
 * A raw trace event (the JSON accepted on llm.traces.raw) for one judge evaluation, so
 * judge spend appears in the cost metrics under feature `eval_judge`, prompt_version =
 * the rule. `cost_usd` carries our own price when known (kept as client_cost_usd).
 */
export function buildJudgeTrace(rule: string, scored: EvalInput, scoreIdValue: string, call: ModelCall, costUsd: number | null): Record<string, unknown> {
  const event: Record<string, unknown> = {
    trace_id: judgeTraceId(scoreIdValue),
    timestamp: call.started_at,
    model: call.model,
    provider: call.provider,
    feature: JUDGE_FEATURE,
    prompt_version: rule.slice(0, 128),
    environment: scored.environment,
    input_tokens: call.input_tokens,
    cached_input_tokens: call.cached_input_tokens,
    output_tokens: call.output_tokens,
    reasoning_tokens: call.reasoning_tokens,
    latency_ms: Math.min(call.latency_ms, MAX_LATENCY_MS),
    finish_reason: call.finish_reason,
    status: call.status,
    error_type: call.error_type,
    metadata: {
      rule,
      score_id: scoreIdValue,
      scored_trace_id: scored.trace_id,
      attempts: String(call.attempts),
      usage_estimated: String(call.usage_estimated),
    },
  };
  if (costUsd !== null) event.cost_usd = costUsd;
  return event;
}
