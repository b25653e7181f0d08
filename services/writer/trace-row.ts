import { picoToDecimalString } from '../core/pricing/cost.ts';
import type { EnrichedTrace } from '../core/schema/enriched-trace.ts';
import { toClickHouseTime } from '../core/store/clickhouse-values.ts';

/** USD as a client sent it (a float) → exact 12-digit decimal text for Decimal(18,12). */
function usdToDecimal(usd: number): string {
  return usd.toFixed(12);
}

/** A row's identity in `traces`, the writer's recent-ids memory and its resume check: the span of its trace (an event without span_id is its trace's one call). */
export function traceRowKey(traceId: string, spanId: string): string {
  return spanId === '' ? traceId : `${traceId}\u0000${spanId}`;
}

/** One enriched trace → one row of `traces` (schemas/clickhouse/001_traces.sql, 011_billing_parts.sql, 013_spans.sql). */
export function toTraceRow(t: EnrichedTrace): Record<string, unknown> {
  const e = t.event;
  const b = t.cost_breakdown;
  return {
    trace_id: e.trace_id,
    span_id: e.span_id,
    parent_span_id: e.parent_span_id,
    span_kind: e.span_kind,
    span_name: e.span_name,
    ts: toClickHouseTime(e.timestamp),
    model: e.model,
    provider: e.provider ?? '',
    feature: e.feature,
    prompt_version: e.prompt_version,
    environment: e.environment,
    input_tokens: e.input_tokens,
    output_tokens: e.output_tokens,
    cached_input_tokens: e.cached_input_tokens,
    cache_write_tokens: e.cache_write_tokens,
    reasoning_tokens: e.reasoning_tokens,
    cache_write_1h_tokens: e.cache_write_1h_tokens,
    input_audio_tokens: e.input_audio_tokens,
    output_audio_tokens: e.output_audio_tokens,
    input_image_tokens: e.input_image_tokens,
    output_image_tokens: e.output_image_tokens,
    service_tier: e.service_tier ?? '',
    cost_usd: t.cost_pico_usd === null ? null : picoToDecimalString(t.cost_pico_usd),
    client_cost_usd: e.cost_usd === null ? null : usdToDecimal(e.cost_usd),
    input_cost_usd: picoToDecimalString(b?.input ?? 0),
    cache_read_cost_usd: picoToDecimalString(b?.cache_read ?? 0),
    cache_write_cost_usd: picoToDecimalString(b?.cache_write ?? 0),
    output_cost_usd: picoToDecimalString(b?.output ?? 0),
    reasoning_cost_usd: picoToDecimalString(b?.reasoning ?? 0),
    cache_write_1h_cost_usd: picoToDecimalString(b?.cache_write_1h ?? 0),
    input_audio_cost_usd: picoToDecimalString(b?.input_audio ?? 0),
    output_audio_cost_usd: picoToDecimalString(b?.output_audio ?? 0),
    input_image_cost_usd: picoToDecimalString(b?.input_image ?? 0),
    output_image_cost_usd: picoToDecimalString(b?.output_image ?? 0),
    pricing_status: t.pricing_status,
    priced_model: t.priced_model ?? '',
    price_version: t.price_version ?? '',
    pricing_note: t.pricing_note ?? t.unpriced_reason ?? '',
    latency_ms: e.latency_ms,
    time_to_first_token_ms: e.time_to_first_token_ms,
    status: e.status,
    error_type: e.error_type ?? '',
    finish_reason: e.finish_reason ?? '',
    user_id: e.user_id ?? '',
    session_id: e.session_id ?? '',
    system_prompt_hash: e.system_prompt_hash ?? '',
    input: e.input ?? '',
    output: e.output ?? '',
    metadata: e.metadata,
    received_at: toClickHouseTime(t.received_at),
    source_partition: t.source_partition,
    source_offset: t.source_offset,
  };
}
