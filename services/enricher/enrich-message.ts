import type { BusMessage } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { decodeRawTrace } from '../core/codec/trace-codec.ts';
import { ErrorCodes, PipelineError } from '../core/errors.ts';
import type { EnrichedTrace } from '../core/schema/enriched-trace.ts';
import { describeErrors, parseTraceEvent } from '../core/schema/trace-event.ts';
import type { Pricer } from '../core/pricing/pricer.ts';
import { redactEvent } from './redaction/redact-event.ts';
import type { RedactionCounts } from './redaction/kinds.ts';
import type { RedactionSettings } from './redaction/redaction-settings.ts';
import { MODEL_CALL_KINDS } from '../core/schema/trace-event.ts';

export interface EnrichDeps {
  registry: AvroRegistry;
  pricer: Pricer;
  now: number;
  /** PII redaction (off when absent); applied right after validation. */
  redaction?: RedactionSettings;
  /** Receives the redaction counts of each event whose feature is opted in. */
  onRedacted?: (counts: RedactionCounts) => void;
}

/**
 * decode → validate → redact → price one raw message. Pure apart from the clock passed
 * in; throws PipelineError (DECODE_FAILED, UNKNOWN_SCHEMA_ID, VALIDATION_FAILED) for a
 * message that belongs in the DLQ. Redaction runs before anything is built from the
 * event, so no unredacted text can reach the enriched topic (and ClickHouse) by mistake.
 */
export function enrichMessage(message: BusMessage, deps: EnrichDeps): EnrichedTrace {
  const decoded = decodeRawTrace(deps.registry, message.value);
  const parsed = parseTraceEvent(decoded);
  if (!parsed.ok) throw new PipelineError(ErrorCodes.VALIDATION_FAILED, `invalid trace event: ${describeErrors(parsed.errors)}`);
  const redacted = redactEvent(parsed.value, deps.redaction);
  if (redacted.applied) deps.onRedacted?.(redacted.counts);
  const event = redacted.event;
  if (!MODEL_CALL_KINDS.has(event.span_kind)) {
    // An agent, tool, retrieval or workflow span calls no model: nothing to price, and not "unpriced" either.
    return {
      event,
      cost_pico_usd: null,
      cost_breakdown: null,
      pricing_status: 'not_model_call',
      priced_model: null,
      price_version: null,
      unpriced_reason: null,
      pricing_note: null,
      received_at: deps.now,
      source_partition: message.partition,
      source_offset: Number(message.offset),
    };
  }
  const price = deps.pricer.price({
    model: event.model,
    provider: event.provider ?? undefined,
    timestampMs: event.timestamp,
    input_tokens: event.input_tokens,
    output_tokens: event.output_tokens,
    cached_input_tokens: event.cached_input_tokens,
    cache_write_tokens: event.cache_write_tokens,
    reasoning_tokens: event.reasoning_tokens,
    cache_write_1h_tokens: event.cache_write_1h_tokens,
    input_audio_tokens: event.input_audio_tokens,
    output_audio_tokens: event.output_audio_tokens,
    input_image_tokens: event.input_image_tokens,
    output_image_tokens: event.output_image_tokens,
    serviceTier: event.service_tier,
  });
  const priced = price.status === 'priced';
  return {
    event,
    cost_pico_usd: priced ? price.costPico : null,
    cost_breakdown: priced
      ? {
          input: price.breakdown.input,
          cache_read: price.breakdown.cacheRead,
          cache_write: price.breakdown.cacheWrite,
          output: price.breakdown.output,
          reasoning: price.breakdown.reasoning,
          cache_write_1h: price.breakdown.cacheWrite1h,
          input_audio: price.breakdown.inputAudio,
          output_audio: price.breakdown.outputAudio,
          input_image: price.breakdown.inputImage,
          output_image: price.breakdown.outputImage,
        }
      : null,
    pricing_status: !priced ? 'unpriced' : price.notes.length > 0 ? 'fallback_rate' : 'priced',
    priced_model: priced ? price.matchedModel : null,
    price_version: priced ? price.priceVersion : null,
    unpriced_reason: priced ? null : price.reason,
    pricing_note: priced && price.notes.length > 0 ? price.notes.join('; ') : null,
    received_at: deps.now,
    source_partition: message.partition,
    source_offset: Number(message.offset),
  };
}
