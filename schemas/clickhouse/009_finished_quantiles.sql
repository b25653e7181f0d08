-- Finished latency / TTFT quantiles for closed hours, per (bucket, feature, model): a
-- dashboard's hourly latency question reads these numbers instead of merging one
-- t-digest state per hour and group at query time (~16 µs each, 21,600 for 30 days).
-- `requests` is the hour's count when its quantiles were computed: the query uses a
-- row only while traces_fm_1h still counts the same (a late event reopens the hour,
-- and the query merges its states until the next refresh finishes it again), so an
-- answer is never staler than the rollup. Latest row per key wins (ReplacingMergeTree;
-- queries take argMax by computed_at).
CREATE TABLE IF NOT EXISTS traces_fm_quantiles
(
    bucket      DateTime('UTC'),
    feature     LowCardinality(String),
    model       LowCardinality(String),
    requests    UInt64,
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
SELECT b AS bucket, f AS feature, m AS model, n AS requests, lq AS latency_q, tq AS ttft_q, now64(3) AS computed_at
FROM
(
    SELECT bucket AS b, feature AS f, model AS m, sum(requests) AS n,
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
