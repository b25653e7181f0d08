-- Rollups at the dashboard's grain (issue 11, item 5).
-- * traces_1m / traces_1h are rebuilt keyed bucket-first (bucket, feature, model,
--   prompt_version, environment): a range query reads one contiguous stretch of the
--   primary key instead of one per dimension combination. ClickHouse cannot change a
--   table's sorting key, so each is copied into a new table, the two are exchanged and
--   the old one dropped.
-- * traces_fm_1h / traces_fm_1d: the same aggregates per (bucket, feature, model) by
--   hour and by day, what the dashboard asks (6 models x 5 features, not x prompt
--   versions x environments), filled from traces_1h on upgrade.
-- Every data-moving statement carries a `-- @if` guard (see migrations.ts) asking whether
-- it is still to be done, so a re-run after a crash resumes and never copies twice.
-- The views are dropped and re-created around the copy: run migrations before the
-- writers start (the services do), or rows written meanwhile miss the new rollups.
-- Every target keeps a deduplication window (see 002_rollups.sql: replays must not
-- double count).

-- traces_1m: rebuilt bucket-first, its rows moved as they are (states included).
-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1m' AND sorting_key LIKE 'feature%'
DROP VIEW IF EXISTS traces_1m_mv;

CREATE TABLE IF NOT EXISTS traces_1m_next
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
ORDER BY (bucket, feature, model, prompt_version, environment)
TTL bucket + INTERVAL {{ROLLUP_1M_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1m' AND sorting_key LIKE 'feature%'
TRUNCATE TABLE traces_1m_next;

-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1m' AND sorting_key LIKE 'feature%'
INSERT INTO traces_1m_next SELECT * FROM traces_1m SETTINGS insert_deduplicate = 0;

-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1m' AND sorting_key LIKE 'feature%'
EXCHANGE TABLES traces_1m AND traces_1m_next;

DROP TABLE IF EXISTS traces_1m_next;

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

-- traces_1h: rebuilt bucket-first, its rows moved as they are (states included).
-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1h' AND sorting_key LIKE 'feature%'
DROP VIEW IF EXISTS traces_1h_mv;

CREATE TABLE IF NOT EXISTS traces_1h_next
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
ORDER BY (bucket, feature, model, prompt_version, environment)
TTL bucket + INTERVAL {{ROLLUP_1H_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1h' AND sorting_key LIKE 'feature%'
TRUNCATE TABLE traces_1h_next;

-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1h' AND sorting_key LIKE 'feature%'
INSERT INTO traces_1h_next SELECT * FROM traces_1h SETTINGS insert_deduplicate = 0;

-- @if SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1h' AND sorting_key LIKE 'feature%'
EXCHANGE TABLES traces_1h AND traces_1h_next;

DROP TABLE IF EXISTS traces_1h_next;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_1h_mv TO traces_1h AS
SELECT
    toStartOfHour(ts)                        AS bucket,
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

-- traces_fm_1h: hourly per (bucket, feature, model), the dashboard's grain; filled from
-- traces_1h (which keeps more history than raw traces), then kept by its view.
CREATE TABLE IF NOT EXISTS traces_fm_1h_build
(
    bucket               DateTime('UTC'),
    feature              LowCardinality(String),
    model                LowCardinality(String),
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
ORDER BY (bucket, feature, model)
TTL bucket + INTERVAL {{ROLLUP_1H_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- @if SELECT count() = 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_fm_1h'
TRUNCATE TABLE traces_fm_1h_build;

-- @if SELECT count() = 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_fm_1h'
INSERT INTO traces_fm_1h_build
SELECT bucket AS b, feature, model,
    sum(requests) AS r_requests, sum(errors) AS r_errors, sum(unpriced) AS r_unpriced,
    sum(input_tokens_sum) AS r_input_tokens_sum, sum(output_tokens_sum) AS r_output_tokens_sum,
    sum(cached_input_tokens_sum) AS r_cached_input_tokens_sum, sum(cache_write_tokens_sum) AS r_cache_write_tokens_sum,
    sum(reasoning_tokens_sum) AS r_reasoning_tokens_sum,
    sum(cost_usd_sum) AS r_cost_usd_sum, sum(client_cost_usd_sum) AS r_client_cost_usd_sum,
    sum(latency_ms_sum) AS r_latency_ms_sum, max(latency_ms_max) AS r_latency_ms_max,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(latency_q) AS r_latency_q,
    quantilesTDigestIfMergeState(0.5, 0.9, 0.95, 0.99)(ttft_q) AS r_ttft_q
FROM traces_1h
GROUP BY b, feature, model
SETTINGS insert_deduplicate = 0;

-- @if SELECT count() = 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_fm_1h'
RENAME TABLE traces_fm_1h_build TO traces_fm_1h;

DROP TABLE IF EXISTS traces_fm_1h_build;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_fm_1h_mv TO traces_fm_1h AS
SELECT
    toStartOfHour(ts)                        AS bucket,
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
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL) AS ttft_q
FROM traces
GROUP BY bucket, feature, model;

-- traces_fm_1d: daily per (bucket, feature, model), the dashboard's grain; filled from
-- traces_1h (which keeps more history than raw traces), then kept by its view.
CREATE TABLE IF NOT EXISTS traces_fm_1d_build
(
    bucket               DateTime('UTC'),
    feature              LowCardinality(String),
    model                LowCardinality(String),
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
ORDER BY (bucket, feature, model)
TTL bucket + INTERVAL {{ROLLUP_1H_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- @if SELECT count() = 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_fm_1d'
TRUNCATE TABLE traces_fm_1d_build;

-- @if SELECT count() = 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_fm_1d'
INSERT INTO traces_fm_1d_build
SELECT toStartOfDay(bucket) AS b, feature, model,
    sum(requests) AS r_requests, sum(errors) AS r_errors, sum(unpriced) AS r_unpriced,
    sum(input_tokens_sum) AS r_input_tokens_sum, sum(output_tokens_sum) AS r_output_tokens_sum,
    sum(cached_input_tokens_sum) AS r_cached_input_tokens_sum, sum(cache_write_tokens_sum) AS r_cache_write_tokens_sum,
    sum(reasoning_tokens_sum) AS r_reasoning_tokens_sum,
    sum(cost_usd_sum) AS r_cost_usd_sum, sum(client_cost_usd_sum) AS r_client_cost_usd_sum,
    sum(latency_ms_sum) AS r_latency_ms_sum, max(latency_ms_max) AS r_latency_ms_max,
    quantilesTDigestMergeState(0.5, 0.9, 0.95, 0.99)(latency_q) AS r_latency_q,
    quantilesTDigestIfMergeState(0.5, 0.9, 0.95, 0.99)(ttft_q) AS r_ttft_q
FROM traces_1h
GROUP BY b, feature, model
SETTINGS insert_deduplicate = 0;

-- @if SELECT count() = 0 FROM system.tables WHERE database = currentDatabase() AND name = 'traces_fm_1d'
RENAME TABLE traces_fm_1d_build TO traces_fm_1d;

DROP TABLE IF EXISTS traces_fm_1d_build;

CREATE MATERIALIZED VIEW IF NOT EXISTS traces_fm_1d_mv TO traces_fm_1d AS
SELECT
    toStartOfDay(ts)                        AS bucket,
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
    quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL) AS ttft_q
FROM traces
GROUP BY bucket, feature, model;
