import type { AvroRegistry } from '../codec/avro-registry.ts';

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

export function encodeScore(registry: AvroRegistry, value: Score): Buffer {
  return registry.encode(SCORE_SUBJECT, value);
}

export function decodeScore(registry: AvroRegistry, buf: Buffer): Score {
  return registry.decode(SCORE_SUBJECT, buf) as Score;
}
