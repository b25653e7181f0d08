import { ErrorCodes, PipelineError } from '../errors.ts';
import type { TraceEvent } from '../schema/trace-event.ts';
import { isConfluentFramed, type AvroRegistry } from './avro-registry.ts';

/** Subjects in schemas/avro/registry.json. */
export const RAW_SUBJECT = 'trace-event';
export const ENRICHED_SUBJECT = 'enriched-trace';

const OPEN_BRACE = 0x7b;

/**
 * Decode a message from llm.traces.raw: Confluent-framed Avro (magic byte 0) or plain
 * JSON (first non-blank byte `{`). Returns the unvalidated event object.
 */
export function decodeRawTrace(registry: AvroRegistry, value: Buffer): unknown {
  // Encoded by another stage of this process (possibly without bytes: encodeOnDemand).
  if (registry.remembers(value)) return registry.decode(RAW_SUBJECT, value);
  if (value.length === 0) throw new PipelineError(ErrorCodes.DECODE_FAILED, 'empty message');
  if (isConfluentFramed(value)) return registry.decode(RAW_SUBJECT, value);
  if (firstNonBlank(value) === OPEN_BRACE) {
    try {
      return JSON.parse(value.toString('utf8'));
    } catch (err) {
      throw new PipelineError(ErrorCodes.DECODE_FAILED, `invalid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new PipelineError(
    ErrorCodes.DECODE_FAILED,
    `neither Confluent-framed Avro (first byte 0) nor a JSON object (first byte '{'); first byte is 0x${value[0].toString(16).padStart(2, '0')}`,
  );
}

export function encodeRawTraceAvro(registry: AvroRegistry, event: TraceEvent): Buffer {
  return registry.encode(RAW_SUBJECT, event);
}

function firstNonBlank(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c;
  }
  return -1;
}
