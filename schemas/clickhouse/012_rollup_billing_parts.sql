-- The rollups count how calls were billed (issue 13): calls priced at a fallback rate
-- (pricing_status 'fallback_rate': a service tier, 1-hour write, audio or image part the
-- table has no price of its own for) and the token parts with their own prices, so the
-- metrics API can say how many calls' costs rest on a fallback and how many audio, image
-- and 1-hour cache tokens a feature uses. Columns are appended; rows stored before this
-- migration had none of these parts, so their 0 is exact.
-- Each view is dropped and re-created with the new columns: run migrations before the
-- writers start (the services do), or rows written meanwhile miss the rollups.
-- traces_fm_quantiles (009) mirrors traces_fm_1h's sums for finished hours, so it gains
-- the same columns and its refreshable view is re-created to fill them.

ALTER TABLE traces_1m
    ADD COLUMN IF NOT EXISTS fallback_rate             SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens_sum SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_audio_tokens_sum    SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_audio_tokens_sum   SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_image_tokens_sum    SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_image_tokens_sum   SimpleAggregateFunction(sum, UInt64) DEFAULT 0;

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
GROUP BY bucket, feature, model, prompt_version, environment;

ALTER TABLE traces_1h
    ADD COLUMN IF NOT EXISTS fallback_rate             SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens_sum SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_audio_tokens_sum    SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_audio_tokens_sum   SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_image_tokens_sum    SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_image_tokens_sum   SimpleAggregateFunction(sum, UInt64) DEFAULT 0;

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
GROUP BY bucket, feature, model, prompt_version, environment;

ALTER TABLE traces_fm_1h
    ADD COLUMN IF NOT EXISTS fallback_rate             SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens_sum SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_audio_tokens_sum    SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_audio_tokens_sum   SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_image_tokens_sum    SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_image_tokens_sum   SimpleAggregateFunction(sum, UInt64) DEFAULT 0;

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
GROUP BY bucket, feature, model;

ALTER TABLE traces_fm_1d
    ADD COLUMN IF NOT EXISTS fallback_rate             SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens_sum SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_audio_tokens_sum    SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_audio_tokens_sum   SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_image_tokens_sum    SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_image_tokens_sum   SimpleAggregateFunction(sum, UInt64) DEFAULT 0;

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
GROUP BY bucket, feature, model;

ALTER TABLE traces_fm_quantiles
    ADD COLUMN IF NOT EXISTS fallback_rate             UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens_sum UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_audio_tokens_sum    UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_audio_tokens_sum   UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_image_tokens_sum    UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_image_tokens_sum   UInt64 DEFAULT 0;

DROP VIEW IF EXISTS traces_fm_quantiles_rmv;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_fm_quantiles_rmv
REFRESH EVERY 1 MINUTE APPEND TO traces_fm_quantiles AS
SELECT b AS bucket, f AS feature, m AS model, n AS requests, s_errors AS errors, s_unpriced AS unpriced,
    s_input AS input_tokens_sum, s_output AS output_tokens_sum, s_cached AS cached_input_tokens_sum,
    s_cache_write AS cache_write_tokens_sum, s_reasoning AS reasoning_tokens_sum,
    s_cost AS cost_usd_sum, s_client_cost AS client_cost_usd_sum, s_latency AS latency_ms_sum, s_latency_max AS latency_ms_max,
    lq AS latency_q, tq AS ttft_q, now64(3) AS computed_at,
    s_fallback AS fallback_rate, s_cw1h AS cache_write_1h_tokens_sum, s_in_audio AS input_audio_tokens_sum,
    s_out_audio AS output_audio_tokens_sum, s_in_image AS input_image_tokens_sum, s_out_image AS output_image_tokens_sum
FROM
(
    SELECT bucket AS b, feature AS f, model AS m, sum(requests) AS n,
        sum(errors) AS s_errors, sum(unpriced) AS s_unpriced,
        sum(input_tokens_sum) AS s_input, sum(output_tokens_sum) AS s_output, sum(cached_input_tokens_sum) AS s_cached,
        sum(cache_write_tokens_sum) AS s_cache_write, sum(reasoning_tokens_sum) AS s_reasoning,
        sum(cost_usd_sum) AS s_cost, sum(client_cost_usd_sum) AS s_client_cost,
        sum(latency_ms_sum) AS s_latency, max(latency_ms_max) AS s_latency_max,
        quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q) AS lq,
        quantilesTDigestIfMerge(0.5, 0.9, 0.95, 0.99)(ttft_q) AS tq,
        sum(fallback_rate) AS s_fallback, sum(cache_write_1h_tokens_sum) AS s_cw1h,
        sum(input_audio_tokens_sum) AS s_in_audio, sum(output_audio_tokens_sum) AS s_out_audio,
        sum(input_image_tokens_sum) AS s_in_image, sum(output_image_tokens_sum) AS s_out_image
    FROM traces_fm_1h
    WHERE bucket < toStartOfHour(now()) AND bucket IN
    (
        SELECT r.rb FROM
        (
            SELECT bucket AS rb, feature AS rf, model AS rm, sum(requests) AS rn
            FROM traces_fm_1h WHERE bucket < toStartOfHour(now()) GROUP BY rb, rf, rm
        ) AS r
        LEFT JOIN
        (
            SELECT bucket AS qb, feature AS qf, model AS qm, argMax(requests, computed_at) AS qn
            FROM traces_fm_quantiles GROUP BY qb, qf, qm
        ) AS q ON r.rb = q.qb AND r.rf = q.qf AND r.rm = q.qm
        WHERE r.rn != q.qn
    )
    GROUP BY b, f, m
)
SETTINGS join_use_nulls = 0;
