-- One row per dead letter re-published by `npm run dlq -- replay`, so the same DLQ row
-- is not replayed twice by accident (`--force` replays it again and adds another row).
-- A DLQ row is named by its source position AND its bytes (value_sha256 = hex SHA-256 of
-- dlq.value_base64): the in-process bus of `npm start` restarts offsets at 0, so after a
-- restart the same position can hold a different message, which must not count as replayed.
-- Kept as long as the dead letters themselves.
CREATE TABLE IF NOT EXISTS dlq_replays
(
    replayed_at      DateTime64(3, 'UTC'),
    source_topic     LowCardinality(String),
    source_partition Int32,
    source_offset    Int64,
    value_sha256     String COMMENT 'hex SHA-256 of the replayed dlq row value_base64 text',
    target_topic     LowCardinality(String),
    transport        LowCardinality(String) COMMENT 'kafka or http-ingest',
    forced           UInt8
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(replayed_at)
ORDER BY (source_topic, source_partition, source_offset, replayed_at)
TTL toDateTime(replayed_at) + INTERVAL {{DLQ_TTL_DAYS}} DAY;
