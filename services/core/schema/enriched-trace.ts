import type { AvroRegistry } from '../codec/avro-registry.ts';
import { ENRICHED_SUBJECT } from '../codec/trace-codec.ts';
import type { TraceEvent } from './trace-event.ts';

/** A priced trace on llm.traces.enriched; mirrors schemas/avro/enriched-trace.v3.avsc. */
export interface EnrichedTrace {
  event: TraceEvent;
  /** Our cost in pico-USD (1e-12); null when the model has no price. */
  cost_pico_usd: number | null;
  /** Disjoint parts of cost_pico_usd (cache_write: 5-minute writes; input/output: text tokens). */
  cost_breakdown: {
    input: number;
    cache_read: number;
    cache_write: number;
    output: number;
    reasoning: number;
    cache_write_1h: number;
    input_audio: number;
    output_audio: number;
    input_image: number;
    output_image: number;
  } | null;
  /** fallback_rate: priced, but some part was billed at a fallback price (pricing_note says which); not_model_call: a span that calls no model. */
  pricing_status: 'priced' | 'unpriced' | 'fallback_rate' | 'not_model_call';
  priced_model: string | null;
  price_version: string | null;
  unpriced_reason: string | null;
  /** For fallback_rate: the parts billed at a fallback price, `; `-separated. */
  pricing_note: string | null;
  received_at: number;
  source_partition: number;
  source_offset: number;
}

export function encodeEnriched(registry: AvroRegistry, value: EnrichedTrace): Buffer {
  return registry.encode(ENRICHED_SUBJECT, value);
}

export function decodeEnriched(registry: AvroRegistry, buf: Buffer): EnrichedTrace {
  return registry.decode(ENRICHED_SUBJECT, buf) as EnrichedTrace;
}
