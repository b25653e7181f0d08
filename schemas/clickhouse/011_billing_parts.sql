-- How a call was billed (issue 13): the service tier, the token parts with their own
-- prices (1-hour cache writes, audio, image) and their cost parts, and a note saying
-- which parts were billed at a fallback price (pricing_status 'fallback_rate') or why a
-- call is unpriced. Parts are disjoint: input_tokens = text + cached + cache writes +
-- audio + image, output_tokens = text + reasoning + audio + image, and the *_cost_usd
-- columns sum to cost_usd (cache_write_cost_usd now holds the 5-minute writes,
-- cache_write_1h_cost_usd the 1-hour ones). Existing rows get 0 / '' (they had none).
ALTER TABLE traces
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens   UInt64 DEFAULT 0 AFTER reasoning_tokens,
    ADD COLUMN IF NOT EXISTS input_audio_tokens      UInt64 DEFAULT 0 AFTER cache_write_1h_tokens,
    ADD COLUMN IF NOT EXISTS output_audio_tokens     UInt64 DEFAULT 0 AFTER input_audio_tokens,
    ADD COLUMN IF NOT EXISTS input_image_tokens      UInt64 DEFAULT 0 AFTER output_audio_tokens,
    ADD COLUMN IF NOT EXISTS output_image_tokens     UInt64 DEFAULT 0 AFTER input_image_tokens,
    ADD COLUMN IF NOT EXISTS service_tier            LowCardinality(String) DEFAULT '' AFTER output_image_tokens,
    ADD COLUMN IF NOT EXISTS cache_write_1h_cost_usd Decimal(18, 12) DEFAULT 0 AFTER reasoning_cost_usd,
    ADD COLUMN IF NOT EXISTS input_audio_cost_usd    Decimal(18, 12) DEFAULT 0 AFTER cache_write_1h_cost_usd,
    ADD COLUMN IF NOT EXISTS output_audio_cost_usd   Decimal(18, 12) DEFAULT 0 AFTER input_audio_cost_usd,
    ADD COLUMN IF NOT EXISTS input_image_cost_usd    Decimal(18, 12) DEFAULT 0 AFTER output_audio_cost_usd,
    ADD COLUMN IF NOT EXISTS output_image_cost_usd   Decimal(18, 12) DEFAULT 0 AFTER input_image_cost_usd,
    ADD COLUMN IF NOT EXISTS pricing_note            String DEFAULT '' AFTER price_version;
