/**
 * Dead letters for the DLQ CLI tests, made the way the pipeline makes them: a source
 * BusMessage → toDeadLetter (the enricher/writer) → toDlqRow (the writer's `dlq` row), so
 * the tests read rows shaped exactly like production ones.
 */
import type { BusMessage } from '../../../services/core/bus/event-bus.ts';
import { toDeadLetter } from '../../../services/core/dlq.ts';
import { ErrorCodes, PipelineError, type ErrorCode } from '../../../services/core/errors.ts';
import type { Store } from '../../../services/core/store/store.ts';
import { toDlqRow } from '../../../services/writer/dlq-row.ts';

export interface DeadLetterSpec {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer;
  code: ErrorCode;
  reason: string;
  stage?: string;
  failedAt: number;
  headers?: Record<string, string>;
}

export function dlqRowOf(s: DeadLetterSpec): Record<string, unknown> {
  const source: BusMessage = {
    topic: s.topic,
    partition: s.partition,
    offset: String(s.offset),
    key: s.key,
    value: s.value,
    headers: s.headers ?? {},
    timestamp: s.failedAt - 1_000,
  };
  const dead = toDeadLetter(source, s.stage ?? 'enricher', new PipelineError(s.code, s.reason), s.failedAt);
  return toDlqRow({ topic: 'llm.dlq', partition: 0, offset: '0', key: dead.key ?? null, value: dead.value, headers: dead.headers ?? {}, timestamp: s.failedAt });
}

export async function insertDeadLetters(store: Store, specs: DeadLetterSpec[]): Promise<void> {
  await store.insert('dlq', specs.map(dlqRowOf));
}

/** Confluent framing (magic 0, schema id 999 that no registry knows) around junk. */
export const UNKNOWN_SCHEMA_AVRO = Buffer.concat([Buffer.from([0, 0, 0, 3, 0xe7]), Buffer.from([0x02, 0x06, 0x61, 0x62, 0x63])]);

export { ErrorCodes };
