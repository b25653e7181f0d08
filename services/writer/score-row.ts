import { ErrorCodes, PipelineError } from '../core/errors.ts';
import { scoreProblem, type Score } from '../core/schema/score.ts';
import { toClickHouseTime } from '../core/store/clickhouse-values.ts';

/** What makes two score rows the same row: a replay of one message, not a new vote. */
export function scoreRowKey(row: { source: unknown; name: unknown; score_id: unknown; ts: unknown }): string {
  return JSON.stringify([row.source, row.name, row.score_id, row.ts]);
}

function invalid(message: string): PipelineError {
  return new PipelineError(ErrorCodes.VALIDATION_FAILED, `score: ${message}`);
}

/**
 * One Score from llm.scores → one row of `scores` (schemas/clickhouse/005_scores.sql).
 * Unknown dimensions (user feedback) become '' and are filled from `traces` at query
 * time. A score the table cannot hold faithfully throws, so it goes to the DLQ instead
 * of being stored wrong.
 */
export function toScoreRow(s: Score): Record<string, unknown> {
  const problem = scoreProblem(s);
  if (problem !== null) throw invalid(problem);
  return {
    score_id: s.score_id,
    trace_id: s.trace_id,
    name: s.name,
    value: s.value,
    passed: s.passed === null ? null : s.passed ? 1 : 0,
    source: s.source,
    status: s.status,
    evaluator: s.evaluator,
    rule: s.rule,
    reason: s.reason ?? '',
    comment: s.comment ?? '',
    ts: toClickHouseTime(s.ts),
    trace_ts: s.trace_ts === null ? null : toClickHouseTime(s.trace_ts),
    feature: s.feature ?? '',
    model: s.model ?? '',
    prompt_version: s.prompt_version ?? '',
    environment: s.environment ?? '',
    metadata: s.metadata,
  };
}
