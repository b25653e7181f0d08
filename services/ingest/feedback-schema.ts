/**
 * User feedback at the HTTP edge: one zod schema for a feedback item, and the pure
 * mapping of a valid item to the `Score` published on llm.scores.
 *
 * `value` is unambiguous by its JSON type:
 *   "up" | "down" | true | false   thumbs            → 1 | 0,        passed = up
 *   {"rating": 1..5}               a 1–5 rating      → (r − 1) / 4,  passed = r ≥ 4
 *   a number 0..1                  a 0–1 score       → as is,        passed = v ≥ 0.5
 * A bare number is always a 0–1 score unless `"scale": "1-5"` says it is a rating, so
 * `1` never silently means "one star".
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { issuesToFieldErrors } from '../core/schema/field-errors.ts';
import { requiredText } from '../core/schema/fields.ts';
import { isScoreValue, scoreFieldSchemas, type Score } from '../core/schema/score.ts';
import type { FieldError, ParseResult } from '../core/schema/trace-event.ts';

export const DEFAULT_FEEDBACK_NAME = 'user_feedback';
export const FEEDBACK_EVALUATOR = 'feedback';
export const SCALES = ['0-1', '1-5'] as const;

/** Metadata keys this service sets on every feedback score (they override the client's). */
export const FeedbackMetadata = { kind: 'feedback.kind', raw: 'feedback.raw', userId: 'feedback.user_id' } as const;

export type FeedbackKind = 'thumbs' | 'rating' | 'score';

const VALUE_HELP = 'expected "up" or "down", true or false, a 0–1 score, or {"rating": 1–5}';

const itemSchema = z.strictObject({
  trace_id: scoreFieldSchemas.trace_id,
  name: scoreFieldSchemas.name.optional(),
  value: z.unknown(),
  scale: z.enum(SCALES, { error: `expected one of: ${SCALES.map((s) => `"${s}"`).join(', ')}` }).optional(),
  comment: scoreFieldSchemas.comment.nullish(),
  feedback_id: scoreFieldSchemas.score_id.optional(),
  user_id: requiredText(256).nullish(),
  metadata: scoreFieldSchemas.metadata.optional(),
});

export interface FeedbackItem {
  trace_id: string;
  name: string;
  /** Normalised to 0..1, higher is better. */
  value: number;
  passed: boolean;
  kind: FeedbackKind;
  /** The value as sent, e.g. "up", "4", "0.7". */
  raw: string;
  comment: string | null;
  feedback_id: string | null;
  user_id: string | null;
  metadata: Record<string, string>;
}

type Normalised = Pick<FeedbackItem, 'value' | 'passed' | 'kind' | 'raw'>;

function rating(r: unknown, field: string, errors: FieldError[]): Normalised | null {
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > 5) {
    errors.push({ field, message: `expected a whole number from 1 to 5, got ${JSON.stringify(r) ?? 'nothing'}` });
    return null;
  }
  return { value: (r - 1) / 4, passed: r >= 4, kind: 'rating', raw: String(r) };
}

/** The value's JSON type decides its kind; `scale` only qualifies a bare number. */
export function normaliseValue(value: unknown, scale: (typeof SCALES)[number] | undefined, errors: FieldError[]): Normalised | null {
  if (value === undefined || value === null) {
    errors.push({ field: 'value', message: `required field is missing; ${VALUE_HELP}` });
    return null;
  }
  if (value === 'up' || value === 'down' || typeof value === 'boolean') {
    if (scale !== undefined) errors.push({ field: 'scale', message: 'only applies to a numeric value; thumbs need none' });
    const up = value === 'up' || value === true;
    return { value: up ? 1 : 0, passed: up, kind: 'thumbs', raw: up ? 'up' : 'down' };
  }
  if (typeof value === 'number') {
    if (scale === '1-5') return rating(value, 'value', errors);
    if (!isScoreValue(value)) {
      errors.push({
        field: 'value',
        message: `a number is a 0–1 score, got ${value}; for a 1–5 rating send {"rating": ${value}} or add "scale": "1-5"`,
      });
      return null;
    }
    return { value, passed: value >= 0.5, kind: 'score', raw: String(value) };
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const unknown = keys.filter((k) => k !== 'rating');
    if (unknown.length > 0) {
      errors.push({ field: `value.${unknown[0]}`, message: `unknown field; ${VALUE_HELP}` });
      return null;
    }
    if (scale === '0-1') errors.push({ field: 'scale', message: 'contradicts value {"rating": …}, which is on the 1–5 scale' });
    return rating((value as { rating?: unknown }).rating, 'value.rating', errors);
  }
  errors.push({ field: 'value', message: `${VALUE_HELP}, got ${JSON.stringify(value).slice(0, 40)}` });
  return null;
}

/** Validate one feedback item; every error names its field. */
export function parseFeedbackItem(input: unknown): ParseResult<FeedbackItem> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '(feedback)', message: 'expected a JSON object' }] };
  }
  const errors: FieldError[] = [];
  const result = itemSchema.safeParse(input);
  if (!result.success) errors.push(...issuesToFieldErrors(result.error.issues, input, '(feedback)'));
  const raw = input as { value?: unknown; scale?: unknown };
  const scale = SCALES.includes(raw.scale as (typeof SCALES)[number]) ? (raw.scale as (typeof SCALES)[number]) : undefined;
  const normalised = normaliseValue(raw.value, scale, errors);
  if (!result.success || normalised === null || errors.length > 0) return { ok: false, errors };
  const item = result.data;
  return {
    ok: true,
    value: {
      trace_id: item.trace_id,
      name: item.name ?? DEFAULT_FEEDBACK_NAME,
      ...normalised,
      comment: item.comment ?? null,
      feedback_id: item.feedback_id ?? null,
      user_id: item.user_id ?? null,
      metadata: item.metadata ?? {},
    },
  };
}

/**
 * Deterministic id: the client's feedback_id, else a hash of (trace_id, name, user_id),
 * so a resent or changed vote by the same user replaces the earlier one (latest wins).
 */
export function feedbackScoreId(item: Pick<FeedbackItem, 'trace_id' | 'name' | 'user_id' | 'feedback_id'>): string {
  if (item.feedback_id !== null) return item.feedback_id;
  const digest = createHash('sha256').update(JSON.stringify([item.trace_id, item.name, item.user_id ?? ''])).digest('hex');
  return `fb_${digest.slice(0, 32)}`;
}

/** A valid item → the Score on llm.scores. Dimensions are unknown here: joined from traces at query time. */
export function feedbackToScore(item: FeedbackItem, nowMs: number): Score {
  const metadata: Record<string, string> = { ...item.metadata, [FeedbackMetadata.kind]: item.kind, [FeedbackMetadata.raw]: item.raw };
  if (item.user_id !== null) metadata[FeedbackMetadata.userId] = item.user_id;
  return {
    score_id: feedbackScoreId(item),
    trace_id: item.trace_id,
    name: item.name,
    value: item.value,
    passed: item.passed,
    source: 'user',
    status: 'ok',
    evaluator: FEEDBACK_EVALUATOR,
    rule: '',
    reason: null,
    comment: item.comment,
    ts: nowMs,
    trace_ts: null,
    feature: null,
    model: null,
    prompt_version: null,
    environment: null,
    metadata,
  };
}
