import { ErrorCodes, PipelineError } from '../core/errors.ts';
import type { Score } from '../core/schema/score.ts';
import { toClickHouseTime } from '../core/store/clickhouse-values.ts';

const MIN_TS = Date.UTC(2000, 0, 1);
const MAX_TS = Date.UTC(2100, 0, 1);

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
  if (s.score_id === '') throw invalid('score_id is empty');
  if (s.trace_id === '') throw invalid('trace_id is empty');
  if (s.name === '') throw invalid('name is empty');
  if (s.value !== null && !(Number.isFinite(s.value) && s.value >= 0 && s.value <= 1)) throw invalid(`value ${s.value} is not within 0..1`);
  if (s.status === 'ok' && s.value === null) throw invalid('an ok score needs a value (null is for status error)');
  if (!(Number.isFinite(s.ts) && s.ts >= MIN_TS && s.ts <= MAX_TS)) throw invalid(`ts ${s.ts} is not a time between 2000 and 2100 in ms`);
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
