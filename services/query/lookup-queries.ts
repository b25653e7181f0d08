/** Point lookups of the query API: one trace by id, and the unpriced-models report. */
import { z } from 'zod';
import { defineQuery } from '../core/store/named-query.ts';
import { clickhouseTimeToIso } from './time.ts';

const count = z.coerce.number().pipe(z.number().finite());
const int = z.coerce.number().pipe(z.number().int());
const isoTime = z.string().transform(clickhouseTimeToIso);
const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/);

/** At most this many spans of one trace are returned by the lookup (the answer says when there were more). */
export const MAX_TRACE_SPANS = 10_000;

/**
 * traces.by_id: the stored spans of one trace (one row for an event without span ids),
 * in start order. FINAL collapses replays that have not been merged yet; costs come back
 * as exact decimal strings (JSON numbers would round them).
 */
export const traceById = defineQuery({
  name: 'traces.by_id',
  query: `
SELECT
  trace_id, span_id, parent_span_id, span_kind, span_name, ts, model, provider, feature, prompt_version, environment,
  input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
  cache_write_1h_tokens, input_audio_tokens, output_audio_tokens, input_image_tokens, output_image_tokens, service_tier,
  toString(cost_usd) AS cost_usd_text,
  toString(client_cost_usd) AS client_cost_usd_text,
  toString(input_cost_usd) AS input_cost_usd_text,
  toString(cache_read_cost_usd) AS cache_read_cost_usd_text,
  toString(cache_write_cost_usd) AS cache_write_cost_usd_text,
  toString(output_cost_usd) AS output_cost_usd_text,
  toString(reasoning_cost_usd) AS reasoning_cost_usd_text,
  toString(cache_write_1h_cost_usd) AS cache_write_1h_cost_usd_text,
  toString(input_audio_cost_usd) AS input_audio_cost_usd_text,
  toString(output_audio_cost_usd) AS output_audio_cost_usd_text,
  toString(input_image_cost_usd) AS input_image_cost_usd_text,
  toString(output_image_cost_usd) AS output_image_cost_usd_text,
  pricing_status, priced_model, price_version, pricing_note,
  latency_ms, time_to_first_token_ms, status, error_type, finish_reason,
  user_id, session_id, system_prompt_hash, input, output, metadata,
  received_at, source_partition, source_offset
FROM traces FINAL
WHERE trace_id = {trace_id:String}
ORDER BY ts, span_id
LIMIT {limit:UInt32}`,
  params: z.object({ trace_id: z.string().min(1), limit: z.number().int().positive() }),
  row: z
    .object({
      trace_id: z.string(),
      span_id: z.string(),
      parent_span_id: z.string(),
      span_kind: z.string(),
      span_name: z.string(),
      ts: isoTime,
      model: z.string(),
      provider: z.string(),
      feature: z.string(),
      prompt_version: z.string(),
      environment: z.string(),
      input_tokens: count,
      output_tokens: count,
      cached_input_tokens: count,
      cache_write_tokens: count,
      reasoning_tokens: count,
      cache_write_1h_tokens: count,
      input_audio_tokens: count,
      output_audio_tokens: count,
      input_image_tokens: count,
      output_image_tokens: count,
      service_tier: z.string(),
      cost_usd_text: decimalText.nullable(),
      client_cost_usd_text: decimalText.nullable(),
      input_cost_usd_text: decimalText,
      cache_read_cost_usd_text: decimalText,
      cache_write_cost_usd_text: decimalText,
      output_cost_usd_text: decimalText,
      reasoning_cost_usd_text: decimalText,
      cache_write_1h_cost_usd_text: decimalText,
      input_audio_cost_usd_text: decimalText,
      output_audio_cost_usd_text: decimalText,
      input_image_cost_usd_text: decimalText,
      output_image_cost_usd_text: decimalText,
      pricing_status: z.string(),
      pricing_note: z.string(),
      priced_model: z.string(),
      price_version: z.string(),
      latency_ms: count,
      time_to_first_token_ms: count.nullable(),
      status: z.string(),
      error_type: z.string(),
      finish_reason: z.string(),
      user_id: z.string(),
      session_id: z.string(),
      system_prompt_hash: z.string(),
      input: z.string(),
      output: z.string(),
      metadata: z.record(z.string(), z.string()),
      received_at: isoTime,
      source_partition: int,
      source_offset: int,
    })
    .transform((r) => ({
      trace_id: r.trace_id,
      span_id: r.span_id,
      parent_span_id: r.parent_span_id,
      span_kind: r.span_kind,
      span_name: r.span_name,
      ts: r.ts,
      model: r.model,
      provider: r.provider,
      feature: r.feature,
      prompt_version: r.prompt_version,
      environment: r.environment,
      status: r.status,
      error_type: r.error_type,
      finish_reason: r.finish_reason,
      latency_ms: r.latency_ms,
      time_to_first_token_ms: r.time_to_first_token_ms,
      input_tokens: r.input_tokens,
      output_tokens: r.output_tokens,
      cached_input_tokens: r.cached_input_tokens,
      cache_write_tokens: r.cache_write_tokens,
      reasoning_tokens: r.reasoning_tokens,
      cache_write_1h_tokens: r.cache_write_1h_tokens,
      input_audio_tokens: r.input_audio_tokens,
      output_audio_tokens: r.output_audio_tokens,
      input_image_tokens: r.input_image_tokens,
      output_image_tokens: r.output_image_tokens,
      service_tier: r.service_tier === '' ? null : r.service_tier,
      cost_usd: r.cost_usd_text,
      client_cost_usd: r.client_cost_usd_text,
      cost_breakdown_usd: {
        input: r.input_cost_usd_text,
        cache_read: r.cache_read_cost_usd_text,
        cache_write: r.cache_write_cost_usd_text,
        output: r.output_cost_usd_text,
        reasoning: r.reasoning_cost_usd_text,
        cache_write_1h: r.cache_write_1h_cost_usd_text,
        input_audio: r.input_audio_cost_usd_text,
        output_audio: r.output_audio_cost_usd_text,
        input_image: r.input_image_cost_usd_text,
        output_image: r.output_image_cost_usd_text,
      },
      pricing_status: r.pricing_status,
      pricing_note: r.pricing_note === '' ? null : r.pricing_note,
      priced_model: r.priced_model,
      price_version: r.price_version,
      user_id: r.user_id,
      session_id: r.session_id,
      system_prompt_hash: r.system_prompt_hash,
      metadata: r.metadata,
      input: r.input,
      output: r.output,
      received_at: r.received_at,
      source_partition: r.source_partition,
      source_offset: r.source_offset,
    })),
});

/** Stands in for an absent from/to so the unpriced query text never changes. */
export const OPEN_RANGE = { from_ms: 0, to_ms: Date.UTC(2100, 0, 1) };

/**
 * models.unpriced: models seen with no price, per (model, provider), with the features
 * that used them. unpriced_models has no time bucket, so from/to select the
 * (model, provider, feature) entries whose [first_seen, last_seen] overlaps the range;
 * `events` is the lifetime count of those entries, not the count inside the range.
 */
export const unpricedModels = defineQuery({
  name: 'models.unpriced',
  query: `
SELECT
  model, provider,
  sum(f_events) AS events,
  min(f_first) AS first_seen,
  max(f_last) AS last_seen,
  arraySort(groupArray(feature)) AS features
FROM
(
  SELECT model, provider, feature,
         sum(events) AS f_events, min(first_seen) AS f_first, max(last_seen) AS f_last
  FROM unpriced_models
  GROUP BY model, provider, feature
  HAVING f_last >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
     AND f_first < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
)
GROUP BY model, provider
ORDER BY last_seen DESC, model, provider
LIMIT {limit:UInt32}`,
  params: z.object({
    from_ms: z.number().int().nonnegative(),
    to_ms: z.number().int().nonnegative(),
    limit: z.number().int().positive(),
  }),
  row: z.object({
    model: z.string(),
    provider: z.string(),
    events: count,
    first_seen: isoTime,
    last_seen: isoTime,
    features: z.array(z.string()),
  }),
});

/** At most this many traces of one session are listed. */
export const MAX_SESSION_TRACES = 1_000;

/**
 * sessions.by_id: the traces of one session (a conversation: `gen_ai.conversation.id`,
 * `session.id`), in start order, each with its totals over all its spans (a span that does
 * not repeat the session id still belongs to its trace).
 */
export const sessionTraces = defineQuery({
  name: 'sessions.by_id',
  query: `
SELECT
  trace_id,
  min(ts) AS started,
  max(ts + toIntervalMillisecond(latency_ms)) AS ended,
  count() AS spans,
  countIf(span_kind IN ('llm', 'embedding')) AS model_calls,
  countIf(span_kind IN ('llm', 'embedding') AND cost_usd IS NULL) AS unpriced_calls,
  countIf(status = 'error') AS errors,
  toString(sum(ifNull(cost_usd, 0))) AS cost_usd_text,
  sum(input_tokens) AS input_tokens,
  sum(output_tokens) AS output_tokens,
  anyIf(user_id, user_id != '') AS user_id,
  anyIf(feature, span_kind IN ('llm', 'embedding')) AS feature,
  arraySort(groupUniqArrayIf(model, model != '')) AS models
FROM traces FINAL
WHERE trace_id IN (SELECT DISTINCT trace_id FROM traces WHERE session_id = {session_id:String})
GROUP BY trace_id
ORDER BY started, trace_id
LIMIT {limit:UInt32}`,
  params: z.object({ session_id: z.string().min(1), limit: z.number().int().positive() }),
  row: z
    .object({
      trace_id: z.string(),
      started: isoTime,
      ended: isoTime,
      spans: count,
      model_calls: count,
      unpriced_calls: count,
      errors: count,
      cost_usd_text: decimalText,
      input_tokens: count,
      output_tokens: count,
      user_id: z.string(),
      feature: z.string(),
      models: z.array(z.string()),
    })
    .transform(({ cost_usd_text, ...r }) => ({ ...r, cost_usd: cost_usd_text, latency_ms: Date.parse(r.ended) - Date.parse(r.started) })),
});
