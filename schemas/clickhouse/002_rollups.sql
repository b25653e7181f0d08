-- Minute and hour rollups per (feature, model, prompt_version, environment), kept by
-- materialized views so dashboard queries never scan raw rows. A deduplicated insert
-- into traces still fires the views; the repeat is dropped because every target table
-- has its own deduplication window (non_replicated_deduplication_window), which
-- deduplicate_blocks_in_dependent_materialized_views uses with tokens derived from the
-- insert's token. Remove a window and replays double count in that rollup.
-- Costs are Decimal sums (exact); latency quantiles are t-digest states. Summed columns
-- carry a _sum suffix so a view's aliases never shadow the source columns.
CREATE TABLE IF NOT EXISTS traces_1m
(
    bucket               DateTime('UTC'),
    feature              LowCardinality(String),
    model                LowCardinality(String),
    prompt_version       LowCardinality(String),
    environment          LowCardinality(String),
    requests             SimpleAggregateFunction(sum, UInt64),
    errors               SimpleAggregateFunction(sum, UInt64),
    unpriced             SimpleAggregateFunction(sum, UInt64),
    input_tokens_sum         SimpleAggregateFunction(sum, UInt64),
    output_tokens_sum        SimpleAggregateFunction(sum, UInt64),
    cached_input_tokens_sum  SimpleAggregateFunction(sum, UInt64),
    cache_write_tokens_sum   SimpleAggregateFunction(sum, UInt64),
    reasoning_tokens_sum     SimpleAggregateFunction(sum, UInt64),
    cost_usd_sum             SimpleAggregateFunction(sum, Decimal(38, 12)),
    client_cost_usd_sum      SimpleAggregateFunction(sum, Decimal(38, 12)),
    latency_ms_sum       SimpleAggregateFunction(sum, UInt64),
    latency_ms_max       SimpleAggregateFunction(max, UInt32),
    latency_q            AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), UInt32),
    ttft_q               AggregateFunction(quantilesTDigestIf(0.5, 0.9, 0.95, 0.99), UInt32, UInt8)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (feature, model, prompt_version, environment, bucket)
TTL bucket + INTERVAL {{ROLLUP_1M_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_1m_mv TO traces_1m AS
SELECT
    toStartOfMinute(ts)                        AS bucket,
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
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL) AS ttft_q
FROM traces
GROUP BY bucket, feature, model, prompt_version, environment;

CREATE TABLE IF NOT EXISTS traces_1h AS traces_1m
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (feature, model, prompt_version, environment, bucket)
TTL bucket + INTERVAL {{ROLLUP_1H_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_1h_mv TO traces_1h AS
SELECT
    toStartOfHour(ts)                          AS bucket,
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
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL) AS ttft_q
FROM traces
GROUP BY bucket, feature, model, prompt_version, environment;

-- Unpriced models, by model name (the rollups group by the app's model string too,
-- but this keeps the exact names and when they were last seen, for GET /v1/models/unpriced).
CREATE TABLE IF NOT EXISTS unpriced_models
(
    model       LowCardinality(String),
    provider    LowCardinality(String),
    feature     LowCardinality(String),
    events      SimpleAggregateFunction(sum, UInt64),
    first_seen  SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen   SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (model, provider, feature)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS unpriced_models_mv TO unpriced_models AS
SELECT model, provider, feature, count() AS events, min(ts) AS first_seen, max(ts) AS last_seen
FROM traces
WHERE cost_usd IS NULL
GROUP BY model, provider, feature;
