import { z } from 'zod';
import type { AvroRegistry } from '../codec/avro-registry.ts';
import { MAX_TS, MIN_TS, requiredText } from './fields.ts';

/** Subject of schemas/avro/score.v1.avsc in schemas/avro/registry.json. */
export const SCORE_SUBJECT = 'score';

/** A quality signal on llm.scores; mirrors schemas/avro/score.v1.avsc. */
export interface Score {
  score_id: string;
  trace_id: string;
  name: string;
  value: number | null;
  passed: boolean | null;
  source: 'eval' | 'user';
  status: 'ok' | 'error';
  evaluator: string;
  rule: string;
  reason: string | null;
  comment: string | null;
  ts: number;
  trace_ts: number | null;
  feature: string | null;
  model: string | null;
  prompt_version: string | null;
  environment: string | null;
  metadata: Record<string, string>;
}

/**
 * Field schemas of the parts of a Score a client may send (ingest's feedback item is
 * built from them; the item names score_id `feedback_id`). Optional ones are marked so by
 * the caller.
 */
export const scoreFieldSchemas = {
  score_id: requiredText(128),
  trace_id: requiredText(128),
  name: requiredText(128),
  comment: z.string({ error: 'expected a string' }).max(4000, 'longer than 4000 characters'),
  metadata: z
    .record(z.string(), z.string({ error: 'metadata values must be strings' }).max(4096, 'longer than 4096 characters'), {
      error: 'expected an object of string values',
    })
    .refine((m) => Object.keys(m).length <= 64, 'at most 64 keys'),
};

/** A score's value is 0..1, higher is better. */
export function isScoreValue(v: number): boolean {
  return Number.isFinite(v) && v >= 0 && v <= 1;
}

/**
 * Why `s` cannot be stored faithfully, or null when it can: ids and name present, value
 * 0..1 (null only for a status-error score), ts a time between 2000 and 2100 in ms.
 */
export function scoreProblem(s: Score): string | null {
  if (s.score_id === '') return 'score_id is empty';
  if (s.trace_id === '') return 'trace_id is empty';
  if (s.name === '') return 'name is empty';
  if (s.value !== null && !isScoreValue(s.value)) return `value ${s.value} is not within 0..1`;
  if (s.status === 'ok' && s.value === null) return 'an ok score needs a value (null is for status error)';
  if (!(Number.isFinite(s.ts) && s.ts >= MIN_TS && s.ts <= MAX_TS)) return `ts ${s.ts} is not a time between 2000 and 2100 in ms`;
  return null;
}

export function encodeScore(registry: AvroRegistry, value: Score): Buffer {
  return registry.encode(SCORE_SUBJECT, value);
}

export function decodeScore(registry: AvroRegistry, buf: Buffer): Score {
  return registry.decode(SCORE_SUBJECT, buf) as Score;
}
