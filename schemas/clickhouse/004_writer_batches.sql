-- The writer's batch log: before inserting a batch it records the batch's offset range
-- and dedup token here. After a crash between insert and offset commit, the restarted
-- writer re-cuts the replayed messages along the same boundaries and reuses the same
-- tokens, so ClickHouse drops the repeat in traces and in every rollup
-- (deduplicate_blocks_in_dependent_materialized_views). Small; kept for a week.
CREATE TABLE IF NOT EXISTS writer_batches
(
    consumer_group LowCardinality(String),
    topic          LowCardinality(String),
    partition      Int32,
    first_offset   Int64,
    last_offset    Int64,
    token          String,
    rows           UInt32,
    logged_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (consumer_group, topic, partition, first_offset)
TTL toDateTime(logged_at) + INTERVAL 7 DAY;
