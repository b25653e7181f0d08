import { z } from 'zod';
import { issuesToFieldErrors, type FieldError } from './field-errors.ts';
import { MAX_TS, MIN_TS, requiredText, SPAN_KIND_VALUES, MODEL_CALL_KINDS } from './fields.ts';
import { fastParseTraceEvent } from './trace-event-fast.ts';

export { describeErrors, formatPath, type FieldError } from './field-errors.ts';

/**
 * The trace event at the edges (HTTP JSON, JSON on Kafka, decoded Avro), mirroring
 * schemas/avro/trace-event.v2.avsc (the newest version). Parsing yields the Avro-shaped `TraceEvent`
 * (every field present, optional ones null) so one value flows through the pipeline.
 */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

const tokens = z.number({ error: 'expected a whole number of tokens' }).int('expected a whole number').min(0, 'must be >= 0').max(Number.MAX_SAFE_INTEGER);
const millis = z.number({ error: 'expected milliseconds as a number' }).min(0, 'must be >= 0').max(86_400_000 * 7, 'must be under 7 days').transform(Math.round);
const optionalText = (max: number) => z.string({ error: 'expected a string' }).max(max, `longer than ${max} characters`).nullish().transform((v) => v ?? null);

export { MODEL_CALL_KINDS, SPAN_KIND_VALUES } from './fields.ts';
const spanId = z.string({ error: 'expected a string' }).max(64, 'longer than 64 characters').default('');

/** Tiers a call can be billed at; `standard` (Anthropic's name) is stored as `default`. */
export const SERVICE_TIER_VALUES = ['default', 'flex', 'priority', 'batch'] as const;
const SERVICE_TIER_MESSAGE =
  'expected one of default, flex, priority, batch: the tier the call was billed at, as the response reports it (not a request\'s "auto")';
const serviceTier = z
  .enum([...SERVICE_TIER_VALUES, 'standard'], { error: SERVICE_TIER_MESSAGE })
  .nullish()
  .transform((v) => (v === undefined || v === null ? null : v === 'standard' ? 'default' : v));

const timestamp = z
  .union([z.number(), z.string()], { error: 'expected an ISO-8601 string or epoch milliseconds' })
  .transform((v, ctx) => {
    let ms: number;
    if (typeof v === 'number') ms = v;
    else if (ISO_8601.test(v)) ms = Date.parse(v);
    else ms = Number.NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO-8601 timestamp with a time zone (e.g. 2026-01-31T12:00:00Z) or epoch milliseconds' });
      return z.NEVER;
    }
    if (ms < MIN_TS || ms > MAX_TS) {
      ctx.addIssue({ code: 'custom', message: 'out of range (expected between 2000 and 2100; epoch seconds instead of milliseconds?)' });
      return z.NEVER;
    }
    return Math.trunc(ms);
  });

export const traceEventSchema = z
  .strictObject(
    {
      trace_id: requiredText(128),
      span_id: spanId,
      parent_span_id: spanId,
      span_kind: z.enum(SPAN_KIND_VALUES, { error: `expected one of ${SPAN_KIND_VALUES.join(', ')}` }).default('llm'),
      span_name: z.string({ error: 'expected a string' }).max(256, 'longer than 256 characters').default(''),
      timestamp,
      // Required for spans that call a model (llm, embedding: the default kind), see below.
      model: z.string({ error: 'expected a string' }).max(256, 'longer than 256 characters').optional(),
      provider: optionalText(128),
      feature: requiredText(128).default('default'),
      prompt_version: z.string({ error: 'expected a string' }).max(128).default(''),
      environment: requiredText(64).default('production'),
      input_tokens: tokens.default(0),
      output_tokens: tokens.default(0),
      cached_input_tokens: tokens.default(0),
      cache_write_tokens: tokens.default(0),
      reasoning_tokens: tokens.default(0),
      cache_write_1h_tokens: tokens.default(0),
      input_audio_tokens: tokens.default(0),
      output_audio_tokens: tokens.default(0),
      input_image_tokens: tokens.default(0),
      output_image_tokens: tokens.default(0),
      service_tier: serviceTier,
      latency_ms: millis.default(0),
      time_to_first_token_ms: millis.nullish().transform((v) => v ?? null),
      finish_reason: optionalText(64),
      status: z.enum(['ok', 'error'], { error: 'expected "ok" or "error"' }).default('ok'),
      error_type: optionalText(256),
      user_id: optionalText(256),
      session_id: optionalText(256),
      system_prompt_hash: optionalText(128),
      input: optionalText(1_000_000),
      output: optionalText(1_000_000),
      // Stored as Decimal(18,12): at most 999,999.999999999999 USD per call.
      cost_usd: z.number({ error: 'expected a number (USD)' }).min(0, 'must be >= 0').lt(1_000_000, 'must be below 1,000,000 USD').nullish().transform((v) => v ?? null),
      metadata: z
        .record(z.string(), z.string({ error: 'metadata values must be strings' }).max(4096), { error: 'expected an object of string values' })
        .refine((m) => Object.keys(m).length <= 64, 'at most 64 keys')
        .default({}),
    },
  )
  .superRefine((e, ctx) => {
    if (MODEL_CALL_KINDS.has(e.span_kind) && !e.model) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: e.model === undefined ? 'required field is missing' : 'must not be empty' });
    }
    if (e.span_id !== '' && e.span_id === e.parent_span_id) ctx.addIssue({ code: 'custom', path: ['parent_span_id'], message: 'a span cannot be its own parent' });
    for (const issue of tokenPartIssues(e)) ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
  })
  .transform((e) => ({ ...e, model: e.model ?? '' }));

/**
 * Token counts whose parts exceed their whole, each named by the part's field (shared
 * with the fast path, so both judge alike). Input parts: cached, cache writes, audio and
 * image are separate parts of input_tokens; output parts: reasoning, audio and image of
 * output_tokens; 1-hour writes are part of cache_write_tokens. A part that is absent (0)
 * is never named, so an event without the newer fields gets exactly the errors it did
 * before they existed (its own fields only, even when a total is itself invalid).
 */
export function tokenPartIssues(e: {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  cache_write_1h_tokens: number;
  reasoning_tokens: number;
  input_audio_tokens: number;
  output_audio_tokens: number;
  input_image_tokens: number;
  output_image_tokens: number;
}): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  if (e.cached_input_tokens + e.cache_write_tokens > e.input_tokens) {
    issues.push({
      field: 'cached_input_tokens',
      message: 'cached_input_tokens + cache_write_tokens exceed input_tokens (input_tokens must include them, OpenTelemetry GenAI convention)',
    });
  }
  if (e.cache_write_1h_tokens > 0 && e.cache_write_1h_tokens > e.cache_write_tokens) {
    issues.push({ field: 'cache_write_1h_tokens', message: 'exceeds cache_write_tokens (cache_write_tokens must include the 1-hour cache writes)' });
  }
  if (e.input_audio_tokens > 0 && e.input_audio_tokens > e.input_tokens) {
    issues.push({ field: 'input_audio_tokens', message: 'exceeds input_tokens (input_tokens must include audio input tokens)' });
  }
  if (e.input_image_tokens > 0 && e.input_image_tokens > e.input_tokens) {
    issues.push({ field: 'input_image_tokens', message: 'exceeds input_tokens (input_tokens must include image input tokens)' });
  }
  if (issues.length === 0 && e.cached_input_tokens + e.cache_write_tokens + e.input_audio_tokens + e.input_image_tokens > e.input_tokens) {
    issues.push({
      field: e.input_audio_tokens > 0 ? 'input_audio_tokens' : 'input_image_tokens',
      message:
        'cached_input_tokens + cache_write_tokens + input_audio_tokens + input_image_tokens exceed input_tokens (they are separate parts of input_tokens)',
    });
  }
  const outputIssues = issues.length;
  if (e.reasoning_tokens > e.output_tokens) {
    issues.push({ field: 'reasoning_tokens', message: 'exceeds output_tokens (output_tokens must include reasoning tokens)' });
  }
  if (e.output_audio_tokens > 0 && e.output_audio_tokens > e.output_tokens) {
    issues.push({ field: 'output_audio_tokens', message: 'exceeds output_tokens (output_tokens must include audio output tokens)' });
  }
  if (e.output_image_tokens > 0 && e.output_image_tokens > e.output_tokens) {
    issues.push({ field: 'output_image_tokens', message: 'exceeds output_tokens (output_tokens must include image output tokens)' });
  }
  if (issues.length === outputIssues && e.reasoning_tokens + e.output_audio_tokens + e.output_image_tokens > e.output_tokens) {
    issues.push({
      field: e.output_audio_tokens > 0 ? 'output_audio_tokens' : 'output_image_tokens',
      message: 'reasoning_tokens + output_audio_tokens + output_image_tokens exceed output_tokens (they are separate parts of output_tokens)',
    });
  }
  return issues;
}

export type TraceEvent = z.output<typeof traceEventSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Events this module produced, so a frozen one (unchanged since) is not checked twice. */
const validated = new WeakSet<object>();

/** Validate one event; errors name the field (`metadata.team`, `input_tokens`, …). */
export function parseTraceEvent(input: unknown): ParseResult<TraceEvent> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '(event)', message: 'expected a JSON object' }] };
  }
  // An event this function returned and that was frozen since (the in-process registry
  // freezes what it encodes) cannot have changed: in the embedded pipeline the enricher
  // receives the very object ingest validated.
  if (validated.has(input) && Object.isFrozen(input)) return { ok: true, value: input as TraceEvent };
  // The compiled fast path answers for valid events; anything else is zod's to judge and name.
  const fast = fastParseTraceEvent(input);
  if (fast !== null) {
    validated.add(fast);
    return { ok: true, value: fast };
  }
  const result = traceEventSchema.safeParse(input);
  if (result.success) {
    validated.add(result.data);
    return { ok: true, value: result.data };
  }
  return { ok: false, errors: issuesToFieldErrors(result.error.issues, input, '(event)') };
}
