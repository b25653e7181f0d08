import { AttributeReader, asText } from './attribute-reader.ts';
import type { AttributeValue, OtlpSpan } from './otlp-span.ts';
import { spanKindOf, type SpanKind } from './span-kind.ts';
import { spanText } from './span-text.ts';

/**
 * One OTLP span as our trace event: the fields of `/v1/traces` (validated by the same
 * schema after this) plus where the span sits in its trace. Which attribute feeds which
 * field, first name first:
 *
 * | field | GenAI conventions | OpenInference | OpenLLMetry, Vercel AI SDK, OpenLIT, Langfuse |
 * | --- | --- | --- | --- |
 * | model | `gen_ai.response.model`, `gen_ai.request.model` | `llm.model_name`, `embedding.model_name` | `langfuse.observation.model.name` (first), `ai.model.id` |
 * | provider (lowercased, before a `.`) | `gen_ai.provider.name`, `gen_ai.system` | `llm.provider`, `llm.system` | |
 * | input_tokens | `gen_ai.usage.input_tokens`, `gen_ai.usage.prompt_tokens` | `llm.token_count.prompt` | `llm.usage.prompt_tokens`, Langfuse `usage_details.input` |
 * | output_tokens | `gen_ai.usage.output_tokens`, `gen_ai.usage.completion_tokens` | `llm.token_count.completion` | `llm.usage.completion_tokens`, Langfuse `usage_details.output` |
 * | cached_input_tokens | `gen_ai.usage.cache_read.input_tokens` | `llm.token_count.prompt_details.cache_read` | `gen_ai.usage.cache_read_input_tokens`, `ai.usage.inputTokenDetails.cacheReadTokens`, `ai.usage.cachedInputTokens` |
 * | cache_write_tokens | `gen_ai.usage.cache_write.input_tokens`, `gen_ai.usage.cache_creation.input_tokens` | `llm.token_count.prompt_details.cache_write` | `gen_ai.usage.cache_creation_input_tokens`, `ai.usage.inputTokenDetails.cacheWriteTokens` |
 * | reasoning_tokens | `gen_ai.usage.reasoning.output_tokens` | `llm.token_count.completion_details.reasoning` | `gen_ai.usage.reasoning_tokens`, `ai.usage.reasoningTokens` |
 * | session_id | `gen_ai.conversation.id` | `session.id` | `langfuse.session.id` (first), `ai.telemetry.metadata.sessionId`, `traceloop.association.properties.session_id` / `chat_id` |
 * | user_id | `user.id`, `enduser.id` (span, then resource) | `user.id` | `langfuse.user.id` (first), `ai.telemetry.metadata.userId`, `traceloop.association.properties.user_id` |
 * | prompt_version | `gen_ai.prompt.version` | `llm.prompt_template.version` | `traceloop.prompt.version`, `langfuse.observation.prompt.version` |
 * | feature | span `feature`, `gen_ai.workflow.name`, `ai.telemetry.functionId`, `traceloop.workflow.name`, else resource `service.name` | | |
 * | environment | `deployment.environment.name`, `deployment.environment` (span, then resource) | | `langfuse.environment` |
 * | finish_reason | `gen_ai.response.finish_reasons` (the first) | `llm.finish_reason` | `gen_ai.completion.0.finish_reason` |
 * | status, error_type | span status ERROR or `error.type`; `error.type`, else an `exception` event's `exception.type` | | |
 * | time_to_first_token_ms | `gen_ai.response.time_to_first_chunk` (s) | | `ai.response.msToFirstChunk` (ms), `gen_ai.server.time_to_first_token` (s, streamed calls only), `langfuse.observation.completion_start_time` |
 * | service_tier | `openai.response.service_tier` | | `gen_ai.response.service_tier` |
 * | cost_usd (the client's figure) | | `llm.cost.total` | `gen_ai.usage.cost`, Langfuse `cost_details.total` |
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
  const model = a.text(
    'langfuse.observation.model.name',
    'gen_ai.response.model',
    'gen_ai.request.model',
    'llm.model_name',
    'embedding.model_name',
    'llm.response.model_name',
    'llm.request.model_name',
    'llm.response.model',
    'llm.request.model',
    'ai.model.id',
  );
  const requested = a.text('gen_ai.request.model', 'llm.request.model_name', 'llm.request.model');
  const langfuseUsage = jsonObject(a.any('langfuse.observation.usage_details'));
  const langfuseCost = jsonObject(a.any('langfuse.observation.cost_details'));
  let input = a.count('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens') ?? countIn(langfuseUsage, 'input');
  const output = a.count('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens') ?? countIn(langfuseUsage, 'output');
  a.consume('llm.usage.total_tokens', 'llm.token_count.total', 'gen_ai.usage.total_tokens');
  const { kind, operation } = spanKindOf(a, model !== undefined && (input !== undefined || output !== undefined));
  const cacheRead =
    a.count(
      'gen_ai.usage.cache_read.input_tokens',
      'llm.token_count.prompt_details.cache_read',
      'gen_ai.usage.cache_read_input_tokens',
      'ai.usage.inputTokenDetails.cacheReadTokens',
      'ai.usage.cachedInputTokens',
    ) ?? 0;
  const cacheWrite =
    a.count(
      'gen_ai.usage.cache_write.input_tokens',
      'gen_ai.usage.cache_creation.input_tokens',
      'llm.token_count.prompt_details.cache_write',
      'gen_ai.usage.cache_creation_input_tokens',
      'ai.usage.inputTokenDetails.cacheWriteTokens',
    ) ?? 0;
  // The Vercel AI SDK's own totals (ai.usage.inputTokens …) repeat gen_ai.usage.* on the same span.
  a.consume('ai.usage.inputTokens', 'ai.usage.outputTokens', 'ai.usage.totalTokens', 'ai.usage.promptTokens', 'ai.usage.completionTokens');
  if (input !== undefined && cacheRead + cacheWrite > input) input += cacheRead + cacheWrite;

  const startMs = Number(span.startNs / NS_PER_MS);
  const latencyMs = span.endNs > span.startNs ? Number((span.endNs - span.startNs + NS_PER_MS / 2n) / NS_PER_MS) : 0;
  const exception = span.events.find((e) => e.name === 'exception');
  const errorType = a.text('error.type') ?? (exception ? String(exception.attributes['exception.type'] ?? '') || undefined : undefined);
  const failed = span.status.code === 2 || errorType !== undefined;
  const finish = a.any('gen_ai.response.finish_reasons', 'llm.finish_reason', 'gen_ai.completion.0.finish_reason', 'llm.response.finish_reason', 'ai.response.finishReason');
  const text = spanText(a, span.events);

  const event: Record<string, unknown> = {
    trace_id: span.traceId,
    timestamp: startMs,
    model: model ?? '',
    provider: providerName(a.text('gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system')),
    feature: a.text('feature', 'gen_ai.workflow.name', 'ai.telemetry.functionId', 'traceloop.workflow.name') ?? a.resourceText('service.name') ?? 'default',
    prompt_version:
      a.text('gen_ai.prompt.version', 'llm.prompt_template.version', 'traceloop.prompt.version', 'langfuse.observation.prompt.version', 'langfuse.prompt.version') ?? '',
    environment:
      a.text('langfuse.environment', 'deployment.environment.name', 'deployment.environment') ??
      a.resourceText('deployment.environment.name', 'deployment.environment') ??
      'production',
    input_tokens: input ?? 0,
    output_tokens: output ?? 0,
    cached_input_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens:
      a.count('gen_ai.usage.reasoning.output_tokens', 'llm.token_count.completion_details.reasoning', 'gen_ai.usage.reasoning_tokens', 'ai.usage.reasoningTokens') ?? 0,
    input_audio_tokens: a.count('llm.token_count.prompt_details.audio') ?? 0,
    output_audio_tokens: a.count('llm.token_count.completion_details.audio') ?? 0,
    service_tier: a.text('openai.response.service_tier', 'gen_ai.openai.response.service_tier', 'gen_ai.response.service_tier') ?? null,
    latency_ms: latencyMs,
    time_to_first_token_ms: timeToFirstToken(a, span),
    finish_reason: finish === undefined ? null : Array.isArray(finish) ? (finish.length ? asText(finish[0]) : null) : asText(finish),
    status: failed ? 'error' : 'ok',
    error_type: failed ? (errorType ?? (span.status.message || 'error')).slice(0, 256) : null,
    user_id:
      a.text(
        'langfuse.user.id',
        'user.id',
        'enduser.id',
        'ai.telemetry.metadata.userId',
        'traceloop.association.properties.user_id',
        'traceloop.association.properties.userId',
        'langfuse.trace.metadata.langfuse_user_id',
        'langfuse.observation.metadata.langfuse_user_id',
      ) ??
      a.resourceText('user.id', 'enduser.id') ??
      null,
    session_id:
      a.text(
        'langfuse.session.id',
        'gen_ai.conversation.id',
        'session.id',
        'ai.telemetry.metadata.sessionId',
        'traceloop.association.properties.session_id',
        'traceloop.association.properties.sessionId',
        'traceloop.association.properties.chat_id',
        'traceloop.association.properties.chatId',
        'langfuse.trace.metadata.langfuse_session_id',
        'langfuse.observation.metadata.langfuse_session_id',
      ) ?? null,
    system_prompt_hash: text.system_prompt_hash,
    input: text.input,
    output: text.output,
    cost_usd: a.number('gen_ai.usage.cost', 'llm.cost.total') ?? numberIn(langfuseCost, 'total') ?? null,
    metadata: metadataOf(a, operation, requested, model, span),
  };
  return { trace_id: span.traceId, span_id: span.spanId, parent_span_id: span.parentSpanId, span_kind: kind, span_name: span.name, event };
}

function timeToFirstToken(a: AttributeReader, span: OtlpSpan): number | null {
  const ms = a.number('ai.response.msToFirstChunk', 'ai.stream.msToFirstChunk');
  if (ms !== undefined && ms >= 0) return Math.round(ms);
  const s = a.number('gen_ai.response.time_to_first_chunk');
  if (s !== undefined && s >= 0) return Math.round(s * 1000);
  // OpenLIT sets its time to first token to the whole latency on calls that did not stream: trusted only on streams.
  const streamed = a.any('gen_ai.request.is_stream', 'gen_ai.request.stream');
  const openlit = a.number('gen_ai.server.time_to_first_token');
  if (openlit !== undefined && openlit >= 0 && (streamed === true || streamed === 'true')) return Math.round(openlit * 1000);
  const started = a.text('langfuse.observation.completion_start_time');
  const startedMs = started === undefined ? Number.NaN : Date.parse(started);
  if (Number.isFinite(startedMs) && span.startNs > 0n) {
    const d = startedMs - Number(span.startNs / NS_PER_MS);
    if (d >= 0) return d;
  }
  const first = span.events.find((e) => e.name === 'ai.stream.firstChunk' || e.name === 'gen_ai.first_token' || e.name === 'first_token');
  if (first && first.timeNs >= span.startNs && span.startNs > 0n) return Number((first.timeNs - span.startNs) / NS_PER_MS);
  return null;
}

/** `gen_ai.system` values differ in case and, from the Vercel AI SDK, carry the API (`openai.chat`): the provider is the lowercased first part. */
function providerName(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const p = raw.trim().toLowerCase().split('.')[0];
  return p === '' ? null : p;
}

/** A JSON object attribute (Langfuse's usage_details / cost_details), given as a JSON string or a map. */
function jsonObject(v: AttributeValue | undefined): Record<string, unknown> | undefined {
  let o: unknown = v;
  if (typeof v === 'string') {
    try {
      o = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
}
const countIn = (o: Record<string, unknown> | undefined, k: string) => (o && Number.isSafeInteger(o[k]) && (o[k] as number) >= 0 ? (o[k] as number) : undefined);
const numberIn = (o: Record<string, unknown> | undefined, k: string) => (o && typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) >= 0 ? (o[k] as number) : undefined);

function metadataOf(a: AttributeReader, operation: string | undefined, requested: string | undefined, model: string | undefined, span: OtlpSpan): Record<string, string> {
  const out: Record<string, string> = {};
  let kept = 0;
  let dropped = 0;
  const put = (k: string, v: string) => {
    if (kept >= METADATA_MAX_KEYS - 1) {
      dropped++;
      return;
    }
    const key = k.slice(0, 256);
    if (!(key in out)) kept++;
    out[key] = v.length > METADATA_MAX_VALUE ? `${v.slice(0, METADATA_MAX_VALUE - 1)}…` : v;
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
