import { Ajv } from 'ajv';
import { MAX_TS, MIN_TS, MODEL_CALL_KINDS, SPAN_KIND_VALUES } from './fields.ts';
import { tokenPartIssues, type TraceEvent } from './trace-event.ts';

/**
 * The hot path of trace-event validation: a JSON schema compiled by ajv (a plain
 * function of typeof checks, ~20× cheaper than walking the zod schema) followed by the
 * same normalisation zod's transforms apply (defaults, absent → null, the timestamp to
 * epoch ms, durations rounded) and the cross-field rules. It only ever says "valid, and
 * here is the value" or "not sure": anything it does not accept goes to the zod schema,
 * which has the last word and names the field. A property test holds the two to the same
 * answers (trace-event-fast.test.ts).
 */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const WEEK_MS = 86_400_000 * 7;

const text = (max: number, min = 0) => ({ type: 'string', minLength: min, maxLength: max });
const nullableText = (max: number) => ({ type: ['string', 'null'], maxLength: max });
const tokens = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const millis = { type: 'number', minimum: 0, maximum: WEEK_MS };

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['trace_id', 'timestamp'],
  properties: {
    trace_id: text(128, 1),
    span_id: text(64),
    parent_span_id: text(64),
    span_kind: { enum: SPAN_KIND_VALUES },
    span_name: text(256),
    timestamp: { type: ['number', 'string'] },
    model: text(256),
    provider: nullableText(128),
    feature: text(128, 1),
    prompt_version: text(128),
    environment: text(64, 1),
    input_tokens: tokens,
    output_tokens: tokens,
    cached_input_tokens: tokens,
    cache_write_tokens: tokens,
    reasoning_tokens: tokens,
    cache_write_1h_tokens: tokens,
    input_audio_tokens: tokens,
    output_audio_tokens: tokens,
    input_image_tokens: tokens,
    output_image_tokens: tokens,
    service_tier: { enum: ['default', 'flex', 'priority', 'batch', 'standard', null] },
    latency_ms: millis,
    time_to_first_token_ms: { type: ['number', 'null'], minimum: 0, maximum: WEEK_MS },
    finish_reason: nullableText(64),
    status: { enum: ['ok', 'error'] },
    error_type: nullableText(256),
    user_id: nullableText(256),
    session_id: nullableText(256),
    system_prompt_hash: nullableText(128),
    input: nullableText(1_000_000),
    output: nullableText(1_000_000),
    cost_usd: { type: ['number', 'null'], minimum: 0, exclusiveMaximum: 1_000_000 },
    metadata: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 4096 } },
  },
} as const;

// unicode: false → string lengths in UTF-16 code units, as zod (and JavaScript) count them
// (ajv marks the option deprecated and would say so on the console: logger off; strict
// mode still throws on any problem with the schema itself).
const check = new Ajv({ unicode: false, allErrors: false, strict: true, allowUnionTypes: true, logger: false }).compile(SCHEMA);

type Input = Record<string, unknown>;
const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function timestampOf(v: number | string): number | null {
  const ms = typeof v === 'number' ? v : ISO_8601.test(v) ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms) || ms < MIN_TS || ms > MAX_TS) return null;
  return Math.trunc(ms);
}

function metadataOf(m: Record<string, string> | undefined): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (m === undefined) return out;
  for (const key of Object.keys(m)) {
    if (key === '__proto__') return null; // zod's record copy has its own rules here: let it decide
    out[key] = m[key];
  }
  return out;
}

function serviceTierOf(v: string | null | undefined): TraceEvent['service_tier'] {
  if (v === undefined || v === null) return null;
  return v === 'standard' ? 'default' : (v as TraceEvent['service_tier']);
}

/** The event as zod would return it, or null when the fast path is not sure (zod decides). */
export function fastParseTraceEvent(input: object): TraceEvent | null {
  if (!check(input)) return null;
  const e = input as unknown as Input;
  const timestamp = timestampOf(e.timestamp as number | string);
  if (timestamp === null) return null;
  const metadata = metadataOf(e.metadata as Record<string, string> | undefined);
  if (metadata === null) return null;
  const spanKind = (e.span_kind as TraceEvent['span_kind'] | undefined) ?? 'llm';
  const model = (e.model as string | undefined) ?? '';
  if (MODEL_CALL_KINDS.has(spanKind) && model === '') return null;
  const spanId = (e.span_id as string | undefined) ?? '';
  const parentSpanId = (e.parent_span_id as string | undefined) ?? '';
  if (spanId !== '' && spanId === parentSpanId) return null;
  const num = (k: string) => (e[k] === undefined ? 0 : (e[k] as number));
  const event: TraceEvent = {
    trace_id: e.trace_id as string,
    span_id: spanId,
    parent_span_id: parentSpanId,
    span_kind: spanKind,
    span_name: (e.span_name as string | undefined) ?? '',
    timestamp,
    model,
    provider: orNull(e.provider as string | null | undefined),
    feature: (e.feature as string | undefined) ?? 'default',
    prompt_version: (e.prompt_version as string | undefined) ?? '',
    environment: (e.environment as string | undefined) ?? 'production',
    input_tokens: num('input_tokens'),
    output_tokens: num('output_tokens'),
    cached_input_tokens: num('cached_input_tokens'),
    cache_write_tokens: num('cache_write_tokens'),
    reasoning_tokens: num('reasoning_tokens'),
    cache_write_1h_tokens: num('cache_write_1h_tokens'),
    input_audio_tokens: num('input_audio_tokens'),
    output_audio_tokens: num('output_audio_tokens'),
    input_image_tokens: num('input_image_tokens'),
    output_image_tokens: num('output_image_tokens'),
    service_tier: serviceTierOf(e.service_tier as string | null | undefined),
    latency_ms: Math.round(num('latency_ms')),
    time_to_first_token_ms: e.time_to_first_token_ms === undefined || e.time_to_first_token_ms === null ? null : Math.round(e.time_to_first_token_ms as number),
    finish_reason: orNull(e.finish_reason as string | null | undefined),
    status: (e.status as 'ok' | 'error' | undefined) ?? 'ok',
    error_type: orNull(e.error_type as string | null | undefined),
    user_id: orNull(e.user_id as string | null | undefined),
    session_id: orNull(e.session_id as string | null | undefined),
    system_prompt_hash: orNull(e.system_prompt_hash as string | null | undefined),
    input: orNull(e.input as string | null | undefined),
    output: orNull(e.output as string | null | undefined),
    cost_usd: orNull(e.cost_usd as number | null | undefined),
    metadata,
  };
  if (tokenPartIssues(event).length > 0) return null;
  return event;
}
