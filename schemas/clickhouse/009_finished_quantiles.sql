-- Finished closed hours per (bucket, feature, model): traces_fm_1h's sums as they are
-- plus the latency / TTFT quantiles computed once, so a dashboard's hourly latency
-- question reads one plain row per hour and group instead of merging one t-digest
-- state each at query time (~7 µs each here, 21,600 for 30 days) and joining them.
-- `requests` is the hour's count when it was finished: the query uses an hour's rows
-- only while traces_fm_1h still counts the same for that hour (a rollup's counts only
-- grow, so equal totals mean equal rows); a late event reopens the hour, and the query
-- reads the rollup for it until the next refresh finishes it again, so an answer is
-- never staler than the rollup. Latest row per key wins (ReplacingMergeTree; queries
-- take argMax by computed_at).
CREATE TABLE IF NOT EXISTS traces_fm_quantiles
(
    bucket      DateTime('UTC'),
    feature     LowCardinality(String),
    model       LowCardinality(String),
    requests    UInt64,
    errors      UInt64,
    unpriced    UInt64,
    input_tokens_sum         UInt64,
    output_tokens_sum        UInt64,
    cached_input_tokens_sum  UInt64,
    cache_write_tokens_sum   UInt64,
    reasoning_tokens_sum     UInt64,
    cost_usd_sum             Decimal(38, 12),
    client_cost_usd_sum      Decimal(38, 12),
    latency_ms_sum   UInt64,
    latency_ms_max   UInt32,
    latency_q   Array(Float32) COMMENT 'p50, p90, p95, p99 (quantilesTDigestMerge of traces_fm_1h.latency_q)',
    ttft_q      Array(Float32) COMMENT 'p50, p90, p95, p99; NaN when no call reported a TTFT',
    computed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, feature, model)
TTL bucket + INTERVAL {{ROLLUP_1H_TTL_DAYS}} DAY;

-- A refreshable view (the engine's own scheduler, on chDB and on a server alike):
-- every minute it finishes each closed hour whose counts differ from what was finished
-- (never finished, or late events since). Its first run, at creation, finishes the
-- history an upgrade brought along.
CREATE MATERIALIZED VIEW IF NOT EXISTS traces_fm_quantiles_rmv
REFRESH EVERY 1 MINUTE APPEND TO traces_fm_quantiles AS
SELECT b AS bucket, f AS feature, m AS model, n AS requests, s_errors AS errors, s_unpriced AS unpriced,
    s_input AS input_tokens_sum, s_output AS output_tokens_sum, s_cached AS cached_input_tokens_sum,
    s_cache_write AS cache_write_tokens_sum, s_reasoning AS reasoning_tokens_sum,
    s_cost AS cost_usd_sum, s_client_cost AS client_cost_usd_sum, s_latency AS latency_ms_sum, s_latency_max AS latency_ms_max,
    lq AS latency_q, tq AS ttft_q, now64(3) AS computed_at
FROM
(
    SELECT bucket AS b, feature AS f, model AS m, sum(requests) AS n,
        sum(errors) AS s_errors, sum(unpriced) AS s_unpriced,
        sum(input_tokens_sum) AS s_input, sum(output_tokens_sum) AS s_output, sum(cached_input_tokens_sum) AS s_cached,
        sum(cache_write_tokens_sum) AS s_cache_write, sum(reasoning_tokens_sum) AS s_reasoning,
        sum(cost_usd_sum) AS s_cost, sum(client_cost_usd_sum) AS s_client_cost,
        sum(latency_ms_sum) AS s_latency, max(latency_ms_max) AS s_latency_max,
        quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q) AS lq,
        quantilesTDigestIfMerge(0.5, 0.9, 0.95, 0.99)(ttft_q) AS tq
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
