-- Every message the pipeline could not process, unchanged (value as raw bytes), with
-- where it came from and why. Written by the writer from the llm.dlq topic, so the
-- dead letters are queryable (`npm run dlq -- list` reads them). Keyed by source
-- position so a replayed DLQ batch collapses.
CREATE TABLE IF NOT EXISTS dlq
(
    ts               DateTime64(3, 'UTC'),
    stage            LowCardinality(String),
    source_topic     LowCardinality(String),
    source_partition Int32,
    source_offset    Int64,
    error_code       LowCardinality(String),
    reason           String,
    message_key      String,
    value_base64     String COMMENT 'the message value exactly as received, base64',
    headers          Map(String, String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (source_topic, source_partition, source_offset)
TTL toDateTime(ts) + INTERVAL {{DLQ_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;
