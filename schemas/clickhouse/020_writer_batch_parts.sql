-- A writer insert now carries the deliveries of several partitions (one insert per flush,
-- not per delivery): its batch-log record is one row per (topic, partition, offset range)
-- it covers, all with the insert's token, written by one insert. `parts` is how many
-- ranges the insert covers, so a writer resuming one of them knows whether it holds the
-- whole insert (replay it with its token) or a part (see services/writer/batch-log.ts).
ALTER TABLE writer_batches ADD COLUMN IF NOT EXISTS parts UInt16 DEFAULT 1 AFTER rows;
