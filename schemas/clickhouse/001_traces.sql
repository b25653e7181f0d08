-- One row per LLM call. Replays must not double count:
-- * the writer inserts deterministic batches with insert_deduplication_token
--   (needs non_replicated_deduplication_window on a non-replicated table), and skips
--   trace_ids already stored when it resumes a partition after a restart;
-- * ReplacingMergeTree keyed by (day, trace_id) collapses any repeat that slips through
--   (same trace_id and same timestamp) at merge time; query with FINAL to be exact
--   before merges.
-- {{RAW_TTL_DAYS}} / {{TEXT_TTL_DAYS}} come from the configuration (TRACES_TTL_DAYS,
-- TEXT_TTL_DAYS) when the table is created.
CREATE TABLE IF NOT EXISTS traces
(
    trace_id               String,
    ts                     DateTime64(3, 'UTC'),
    model                  LowCardinality(String),
    provider               LowCardinality(String),
    feature                LowCardinality(String),
    prompt_version         LowCardinality(String),
    environment            LowCardinality(String),
    input_tokens           UInt64,
    output_tokens          UInt64,
    cached_input_tokens    UInt64,
    cache_write_tokens     UInt64,
    reasoning_tokens       UInt64,
    cost_usd               Nullable(Decimal(18, 12)) COMMENT 'our cost; NULL when the model has no price',
    client_cost_usd        Nullable(Decimal(18, 12)) COMMENT 'cost as the client reported it',
    input_cost_usd         Decimal(18, 12),
    cache_read_cost_usd    Decimal(18, 12),
    cache_write_cost_usd   Decimal(18, 12),
    output_cost_usd        Decimal(18, 12),
    reasoning_cost_usd     Decimal(18, 12),
    pricing_status         LowCardinality(String),
    priced_model           LowCardinality(String),
    price_version          LowCardinality(String),
    latency_ms             UInt32,
    time_to_first_token_ms Nullable(UInt32),
    status                 LowCardinality(String),
    error_type             LowCardinality(String),
    finish_reason          LowCardinality(String),
    user_id                String,
    session_id             String,
    system_prompt_hash     String,
    input                  String TTL toDateTime(ts) + INTERVAL {{TEXT_TTL_DAYS}} DAY,
    output                 String TTL toDateTime(ts) + INTERVAL {{TEXT_TTL_DAYS}} DAY,
    metadata               Map(String, String),
    received_at            DateTime64(3, 'UTC'),
    source_partition       Int32,
    source_offset          Int64,
    INDEX trace_id_bloom trace_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (toDate(ts), trace_id)
TTL toDateTime(ts) + INTERVAL {{RAW_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;
