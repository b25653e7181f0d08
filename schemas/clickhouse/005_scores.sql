-- Quality signals: eval results (source = 'eval') and user feedback (source = 'user'),
-- one row per score_id (ReplacingMergeTree collapses repeats, e.g. a replayed batch or
-- feedback sent twice; query with FINAL or argMax for exactness before merges).
-- Feedback arrives without the trace's dimensions (it may even precede the trace);
-- quality queries fill feature/model/prompt_version/environment from `traces` by trace_id.
CREATE TABLE IF NOT EXISTS scores
(
    score_id       String,
    trace_id       String,
    name           LowCardinality(String),
    value          Nullable(Float64),
    passed         Nullable(UInt8),
    source         LowCardinality(String),
    status         LowCardinality(String),
    evaluator      LowCardinality(String),
    rule           LowCardinality(String),
    reason         String,
    comment        String,
    ts             DateTime64(3, 'UTC'),
    trace_ts       Nullable(DateTime64(3, 'UTC')),
    feature        LowCardinality(String),
    model          LowCardinality(String),
    prompt_version LowCardinality(String),
    environment    LowCardinality(String),
    metadata       Map(String, String),
    INDEX trace_id_bloom trace_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(ts)
PARTITION BY toYYYYMM(ts)
ORDER BY (source, name, score_id)
TTL toDateTime(ts) + INTERVAL {{SCORES_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;
