-- Traces as trees of spans (issue 12): every span of an agent run is a row of `traces`,
-- named by (trace_id, span_id) with its parent, its kind (llm, embedding, agent, tool,
-- retrieval, workflow, other) and its name. A row stored before this migration, or an
-- event without span_id, is one LLM call: span_id '', kind 'llm'.
-- The table's key becomes (day, trace_id, span_id), so the ReplacingMergeTree collapses
-- repeats of one span, not the spans of one trace. ClickHouse appends a column to a
-- sorting key only in the ALTER that adds it, and only without a DEFAULT (a String is ''
-- all the same); the guard makes a re-run skip it.
-- Cost, token, latency and error rollups count LLM and embedding spans only (an agent or
-- tool span calls no model: it is neither a request nor "unpriced"). Each view is dropped
-- and re-created with that filter: run migrations before the writers start (the services
-- do), or rows written meanwhile miss the rollups.

-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces' AND sorting_key NOT LIKE '%span_id%'
ALTER TABLE traces
    ADD COLUMN IF NOT EXISTS span_id String AFTER trace_id,
    MODIFY ORDER BY (toDate(ts), trace_id, span_id);

ALTER TABLE traces
    ADD COLUMN IF NOT EXISTS parent_span_id String DEFAULT '' AFTER span_id,
    ADD COLUMN IF NOT EXISTS span_kind      LowCardinality(String) DEFAULT 'llm' AFTER parent_span_id,
    ADD COLUMN IF NOT EXISTS span_name      String DEFAULT '' AFTER span_kind;

-- Sessions and users are looked up by id (GET /v1/sessions/:id): skip indexes, as on trace_id.
ALTER TABLE traces
    ADD INDEX IF NOT EXISTS session_id_bloom session_id TYPE bloom_filter(0.01) GRANULARITY 4,
    ADD INDEX IF NOT EXISTS user_id_bloom    user_id    TYPE bloom_filter(0.01) GRANULARITY 4;

DROP VIEW IF EXISTS traces_1m_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_1m_mv TO traces_1m AS
SELECT
    toStartOfMinute(ts) AS bucket,
    feature, model, prompt_version, environment,
    count()                                    AS requests,
    countIf(status = 'error')                  AS errors,
    countIf(cost_usd IS NULL)                  AS unpriced,
    sum(input_tokens)                          AS input_tokens_sum,
    sum(output_tokens)                         AS output_tokens_sum,
    sum(cached_input_tokens)                   AS cached_input_tokens_sum,
    sum(cache_write_tokens)                    AS cache_write_tokens_sum,
    sum(reasoning_tokens)                      AS reasoning_tokens_sum,
    sum(toDecimal128(ifNull(cost_usd, 0), 12))        AS cost_usd_sum,
    sum(toDecimal128(ifNull(client_cost_usd, 0), 12)) AS client_cost_usd_sum,
    sum(toUInt64(latency_ms))                  AS latency_ms_sum,
    max(latency_ms)                            AS latency_ms_max,
    quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(latency_ms) AS latency_q,
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL) AS ttft_q,
    countIf(pricing_status = 'fallback_rate')  AS fallback_rate,
    sum(cache_write_1h_tokens)                 AS cache_write_1h_tokens_sum,
    sum(input_audio_tokens)                    AS input_audio_tokens_sum,
    sum(output_audio_tokens)                   AS output_audio_tokens_sum,
    sum(input_image_tokens)                    AS input_image_tokens_sum,
    sum(output_image_tokens)                   AS output_image_tokens_sum
FROM traces
WHERE span_kind IN ('llm', 'embedding')
GROUP BY bucket, feature, model, prompt_version, environment;

DROP VIEW IF EXISTS traces_1h_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_1h_mv TO traces_1h AS
SELECT
    toStartOfHour(ts) AS bucket,
    feature, model, prompt_version, environment,
    count()                                    AS requests,
    countIf(status = 'error')                  AS errors,
    countIf(cost_usd IS NULL)                  AS unpriced,
    sum(input_tokens)                          AS input_tokens_sum,
    sum(output_tokens)                         AS output_tokens_sum,
    sum(cached_input_tokens)                   AS cached_input_tokens_sum,
    sum(cache_write_tokens)                    AS cache_write_tokens_sum,
    sum(reasoning_tokens)                      AS reasoning_tokens_sum,
    sum(toDecimal128(ifNull(cost_usd, 0), 12))        AS cost_usd_sum,
    sum(toDecimal128(ifNull(client_cost_usd, 0), 12)) AS client_cost_usd_sum,
    sum(toUInt64(latency_ms))                  AS latency_ms_sum,
    max(latency_ms)                            AS latency_ms_max,
    quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(latency_ms) AS latency_q,
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL) AS ttft_q,
    countIf(pricing_status = 'fallback_rate')  AS fallback_rate,
    sum(cache_write_1h_tokens)                 AS cache_write_1h_tokens_sum,
    sum(input_audio_tokens)                    AS input_audio_tokens_sum,
    sum(output_audio_tokens)                   AS output_audio_tokens_sum,
    sum(input_image_tokens)                    AS input_image_tokens_sum,
    sum(output_image_tokens)                   AS output_image_tokens_sum
FROM traces
WHERE span_kind IN ('llm', 'embedding')
GROUP BY bucket, feature, model, prompt_version, environment;

DROP VIEW IF EXISTS traces_fm_1h_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_fm_1h_mv TO traces_fm_1h AS
SELECT
    toStartOfHour(ts) AS bucket,
    feature, model,
    count()                                    AS requests,
    countIf(status = 'error')                  AS errors,
    countIf(cost_usd IS NULL)                  AS unpriced,
    sum(input_tokens)                          AS input_tokens_sum,
    sum(output_tokens)                         AS output_tokens_sum,
    sum(cached_input_tokens)                   AS cached_input_tokens_sum,
    sum(cache_write_tokens)                    AS cache_write_tokens_sum,
    sum(reasoning_tokens)                      AS reasoning_tokens_sum,
    sum(toDecimal128(ifNull(cost_usd, 0), 12))        AS cost_usd_sum,
    sum(toDecimal128(ifNull(client_cost_usd, 0), 12)) AS client_cost_usd_sum,
    sum(toUInt64(latency_ms))                  AS latency_ms_sum,
    max(latency_ms)                            AS latency_ms_max,
    quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(latency_ms) AS latency_q,
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL) AS ttft_q,
    countIf(pricing_status = 'fallback_rate')  AS fallback_rate,
    sum(cache_write_1h_tokens)                 AS cache_write_1h_tokens_sum,
    sum(input_audio_tokens)                    AS input_audio_tokens_sum,
    sum(output_audio_tokens)                   AS output_audio_tokens_sum,
    sum(input_image_tokens)                    AS input_image_tokens_sum,
    sum(output_image_tokens)                   AS output_image_tokens_sum
FROM traces
WHERE span_kind IN ('llm', 'embedding')
GROUP BY bucket, feature, model;

DROP VIEW IF EXISTS traces_fm_1d_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_fm_1d_mv TO traces_fm_1d AS
SELECT
    toStartOfDay(ts) AS bucket,
    feature, model,
    count()                                    AS requests,
    countIf(status = 'error')                  AS errors,
    countIf(cost_usd IS NULL)                  AS unpriced,
    sum(input_tokens)                          AS input_tokens_sum,
    sum(output_tokens)                         AS output_tokens_sum,
    sum(cached_input_tokens)                   AS cached_input_tokens_sum,
    sum(cache_write_tokens)                    AS cache_write_tokens_sum,
    sum(reasoning_tokens)                      AS reasoning_tokens_sum,
    sum(toDecimal128(ifNull(cost_usd, 0), 12))        AS cost_usd_sum,
    sum(toDecimal128(ifNull(client_cost_usd, 0), 12)) AS client_cost_usd_sum,
    sum(toUInt64(latency_ms))                  AS latency_ms_sum,
    max(latency_ms)                            AS latency_ms_max,
    quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(latency_ms) AS latency_q,
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL) AS ttft_q,
    countIf(pricing_status = 'fallback_rate')  AS fallback_rate,
    sum(cache_write_1h_tokens)                 AS cache_write_1h_tokens_sum,
    sum(input_audio_tokens)                    AS input_audio_tokens_sum,
    sum(output_audio_tokens)                   AS output_audio_tokens_sum,
    sum(input_image_tokens)                    AS input_image_tokens_sum,
    sum(output_image_tokens)                   AS output_image_tokens_sum
FROM traces
WHERE span_kind IN ('llm', 'embedding')
GROUP BY bucket, feature, model;

DROP VIEW IF EXISTS unpriced_models_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS unpriced_models_mv TO unpriced_models AS
SELECT model, provider, feature, count() AS events, min(ts) AS first_seen, max(ts) AS last_seen
FROM traces
WHERE cost_usd IS NULL AND span_kind IN ('llm', 'embedding')
GROUP BY model, provider, feature;
