-- Alerts: one row per state change of an alert (pending, firing, a firing reminder,
-- resolved), written by the anomaly service with the change's deterministic alert_id as
-- the insert's deduplication token, so judging a minute again after a restart stores
-- nothing twice (ReplacingMergeTree also collapses repeats at merge; read with FINAL).
-- The latest row per (rule, metric, feature, model) is the alert's current state; the
-- service reopens alerts from it at start so a restart does not re-alert.
CREATE TABLE IF NOT EXISTS alerts
(
    alert_id       String,
    rule           LowCardinality(String),
    metric         LowCardinality(String),
    feature        LowCardinality(String),
    model          LowCardinality(String),
    state          LowCardinality(String),
    previous       LowCardinality(String),
    at             DateTime64(3, 'UTC'),
    started_at     DateTime64(3, 'UTC'),
    severity       LowCardinality(String),
    direction      LowCardinality(String),
    value          Nullable(Float64),
    expected       Nullable(Float64),
    score          Float64,
    deviation      String,
    summary        String,
    detector       LowCardinality(String),
    prompt_version String,
    recent         Array(Nullable(Float64)),
    covered_by     String,
    -- 1 when a silence matched: stored and published, not notified.
    silenced       UInt8,
    silence_id     String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (rule, metric, feature, model, alert_id)
TTL toDateTime(at) + INTERVAL {{ALERTS_TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- Silences (POST /v1/silences): alerts matching every non-empty matcher (globs on rule,
-- metric, feature, model) between starts_at and ends_at are stored but not notified.
-- Expiring a silence early writes a new version with ends_at = now.
CREATE TABLE IF NOT EXISTS silences
(
    silence_id  String,
    version     UInt64,
    rule        String,
    metric      String,
    feature     String,
    model       String,
    starts_at   DateTime64(3, 'UTC'),
    ends_at     DateTime64(3, 'UTC'),
    comment     String,
    created_by  String,
    created_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY silence_id;

-- The last minute the anomaly service judged (per consumer group). At start it judges
-- only the minutes after it (catch-up after downtime), so no minute is judged twice.
CREATE TABLE IF NOT EXISTS anomaly_progress
(
    consumer_group LowCardinality(String),
    closed_through DateTime('UTC'),
    updated_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY consumer_group
TTL toDateTime(updated_at) + INTERVAL 30 DAY;
