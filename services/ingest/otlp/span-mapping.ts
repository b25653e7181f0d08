import { AttributeReader, asText } from './attribute-reader.ts';
import type { OtlpSpan } from './otlp-span.ts';
import { spanKindOf, type SpanKind } from './span-kind.ts';
import { spanText } from './span-text.ts';

/**
 * One OTLP span as our trace event: the fields of `/v1/traces` (validated by the same
 * schema after this) plus where the span sits in its trace. Which attribute feeds which
 * field, first name first:
 *
 * | field | GenAI conventions | OpenInference | OpenLLMetry / others |
 * | --- | --- | --- | --- |
 * | model | `gen_ai.response.model`, `gen_ai.request.model` | `llm.model_name` | `llm.response.model`, `llm.request.model` |
 * | provider | `gen_ai.provider.name`, `gen_ai.system` | `llm.provider`, `llm.system` | |
 * | input_tokens | `gen_ai.usage.input_tokens`, `gen_ai.usage.prompt_tokens` | `llm.token_count.prompt` | `llm.usage.prompt_tokens` |
 * | output_tokens | `gen_ai.usage.output_tokens`, `gen_ai.usage.completion_tokens` | `llm.token_count.completion` | `llm.usage.completion_tokens` |
 * | cached_input_tokens | `gen_ai.usage.cache_read.input_tokens` | `llm.token_count.prompt_details.cache_read` | `gen_ai.usage.cache_read_input_tokens` |
 * | cache_write_tokens | `gen_ai.usage.cache_write.input_tokens`, `gen_ai.usage.cache_creation.input_tokens` | `llm.token_count.prompt_details.cache_write` | `gen_ai.usage.cache_creation_input_tokens` |
 * | reasoning_tokens | `gen_ai.usage.reasoning.output_tokens` | `llm.token_count.completion_details.reasoning` | |
 * | session_id | `gen_ai.conversation.id` | `session.id` | `langfuse.session.id` |
 * | user_id | `user.id`, `enduser.id` (span, then resource) | `user.id` | `langfuse.user.id` |
 * | prompt_version | `gen_ai.prompt.version` | `llm.prompt_template.version` | `traceloop.prompt.version` |
 * | feature | span `feature`, `ai.telemetry.functionId` (Vercel AI SDK), `traceloop.workflow.name`, else resource `service.name` | | |
 * | environment | resource `deployment.environment.name`, `deployment.environment` | | |
 * | finish_reason | `gen_ai.response.finish_reasons` (the first) | | `llm.response.finish_reason` |
 * | status, error_type | span status ERROR or `error.type`; `error.type`, else an `exception` event's `exception.type` | | |
 * | time_to_first_token_ms | `gen_ai.response.time_to_first_chunk` (s) | | `ai.response.msToFirstChunk` (ms), `gen_ai.server.time_to_first_token` (s) |
 * | service_tier | `openai.response.service_tier`, `gen_ai.openai.response.service_tier` | | |
 * | cost_usd (the client's figure) | | `llm.cost.total` | `gen_ai.usage.cost` |
 *
 * Input tokens include cached reads and cache writes (the GenAI convention); a span whose
 * cache counts exceed its input count reported input without them (Anthropic's own
 * usage fields), so they are added. Attributes no rule reads go to `metadata` (at most
 * 64 keys, values cut at 4,096 characters, the number left out in `otel.dropped`), never
 * lost without a trace.
 */
export interface MappedSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  span_kind: SpanKind;
  span_name: string;
  event: Record<string, unknown>;
}

export const METADATA_MAX_KEYS = 64;
export const METADATA_MAX_VALUE = 4096;
const NS_PER_MS = 1_000_000n;

export function mapSpan(span: OtlpSpan): MappedSpan {
  const a = new AttributeReader(span.attributes, span.resource);
  const model = a.text('gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name', 'llm.response.model', 'llm.request.model');
  const requested = a.text('gen_ai.request.model', 'llm.request.model');
  let input = a.count('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens');
  const output = a.count('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens');
  a.consume('llm.usage.total_tokens', 'llm.token_count.total', 'gen_ai.usage.total_tokens');
  const { kind, operation } = spanKindOf(a, model !== undefined && (input !== undefined || output !== undefined));
  const cacheRead = a.count('gen_ai.usage.cache_read.input_tokens', 'llm.token_count.prompt_details.cache_read', 'gen_ai.usage.cache_read_input_tokens') ?? 0;
  const cacheWrite =
    a.count('gen_ai.usage.cache_write.input_tokens', 'gen_ai.usage.cache_creation.input_tokens', 'llm.token_count.prompt_details.cache_write', 'gen_ai.usage.cache_creation_input_tokens') ?? 0;
  if (input !== undefined && cacheRead + cacheWrite > input) input += cacheRead + cacheWrite;

  const startMs = Number(span.startNs / NS_PER_MS);
  const latencyMs = span.endNs > span.startNs ? Number((span.endNs - span.startNs + NS_PER_MS / 2n) / NS_PER_MS) : 0;
  const exception = span.events.find((e) => e.name === 'exception');
  const errorType = a.text('error.type') ?? (exception ? String(exception.attributes['exception.type'] ?? '') || undefined : undefined);
  const failed = span.status.code === 2 || errorType !== undefined;
  const finish = a.any('gen_ai.response.finish_reasons', 'llm.response.finish_reason');
  const text = spanText(a, span.events);

  const event: Record<string, unknown> = {
    trace_id: span.traceId,
    timestamp: startMs,
    model: model ?? '',
    provider: a.text('gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system') ?? null,
    feature: a.text('feature', 'ai.telemetry.functionId', 'traceloop.workflow.name') ?? a.resourceText('service.name') ?? 'default',
    prompt_version: a.text('gen_ai.prompt.version', 'llm.prompt_template.version', 'traceloop.prompt.version') ?? '',
    environment: a.resourceText('deployment.environment.name', 'deployment.environment') ?? 'production',
    input_tokens: input ?? 0,
    output_tokens: output ?? 0,
    cached_input_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens: a.count('gen_ai.usage.reasoning.output_tokens', 'llm.token_count.completion_details.reasoning') ?? 0,
    input_audio_tokens: a.count('llm.token_count.prompt_details.audio') ?? 0,
    output_audio_tokens: a.count('llm.token_count.completion_details.audio') ?? 0,
    service_tier: a.text('openai.response.service_tier', 'gen_ai.openai.response.service_tier') ?? null,
    latency_ms: latencyMs,
    time_to_first_token_ms: timeToFirstToken(a, span),
    finish_reason: finish === undefined ? null : Array.isArray(finish) ? (finish.length ? asText(finish[0]) : null) : asText(finish),
    status: failed ? 'error' : 'ok',
    error_type: failed ? (errorType ?? (span.status.message || 'error')).slice(0, 256) : null,
    user_id: a.text('user.id', 'enduser.id', 'langfuse.user.id') ?? a.resourceText('user.id', 'enduser.id') ?? null,
    session_id: a.text('gen_ai.conversation.id', 'session.id', 'langfuse.session.id') ?? null,
    system_prompt_hash: text.system_prompt_hash,
    input: text.input,
    output: text.output,
    cost_usd: a.number('gen_ai.usage.cost', 'llm.cost.total') ?? null,
    metadata: metadataOf(a, operation, requested, model, span),
  };
  return { trace_id: span.traceId, span_id: span.spanId, parent_span_id: span.parentSpanId, span_kind: kind, span_name: span.name, event };
}

function timeToFirstToken(a: AttributeReader, span: OtlpSpan): number | null {
  const ms = a.number('ai.response.msToFirstChunk');
  if (ms !== undefined && ms >= 0) return Math.round(ms);
  const s = a.number('gen_ai.response.time_to_first_chunk', 'gen_ai.server.time_to_first_token');
  if (s !== undefined && s >= 0) return Math.round(s * 1000);
  const first = span.events.find((e) => e.name === 'ai.stream.firstChunk' || e.name === 'gen_ai.first_token' || e.name === 'first_token');
  if (first && first.timeNs >= span.startNs && span.startNs > 0n) return Number((first.timeNs - span.startNs) / NS_PER_MS);
  return null;
}

function metadataOf(a: AttributeReader, operation: string | undefined, requested: string | undefined, model: string | undefined, span: OtlpSpan): Record<string, string> {
  const out: Record<string, string> = {};
  let dropped = 0;
  const put = (k: string, v: string) => {
    if (Object.keys(out).length >= METADATA_MAX_KEYS - 1) {
      dropped++;
      return;
    }
    out[k.slice(0, 256)] = v.length > METADATA_MAX_VALUE ? `${v.slice(0, METADATA_MAX_VALUE - 1)}…` : v;
  };
  if (operation !== undefined) put('gen_ai.operation.name', operation);
  if (requested !== undefined && requested !== model) put('gen_ai.request.model', requested); // an alias resolved by the provider
  if (span.scope.name) put('otel.scope.name', span.scope.name);
  for (const [k, v] of a.unread()) {
    if (k === 'gen_ai.operation.name') continue;
    put(k, v === null ? '' : asText(v));
  }
  if (dropped > 0) out['otel.dropped'] = String(dropped);
  return out;
}
