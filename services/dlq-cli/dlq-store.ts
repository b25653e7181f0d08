/**
 * The DLQ CLI's reads and writes on the Store: dead letters from `dlq` (003_dlq.sql)
 * with how often each was replayed, from `dlq_replays` (007_dlq_replays.sql). Every value
 * from the command line is a bound query parameter.
 *
 * `dlq` is a ReplacingMergeTree keyed by source position, so reads use FINAL: a dead
 * letter written twice (at-least-once delivery of llm.dlq) is listed and replayed once.
 * A replay record matches a DLQ row by position AND value hash (see 007_dlq_replays.sql).
 */
import { createHash } from 'node:crypto';
import type { Store } from '../core/store/store.ts';
import { toClickHouseTime } from '../core/store/clickhouse-values.ts';
import { formatDlqId, type DlqFilter, type DlqId } from './args.ts';

export interface DlqEntry {
  id: DlqId;
  /** When it failed, UTC, 'YYYY-MM-DD hh:mm:ss.fff'. */
  ts: string;
  stage: string;
  errorCode: string;
  reason: string;
  /** The original message key; '' when it had none. */
  key: string;
  /** Size of the original value in bytes. */
  sizeBytes: number;
  /** hex SHA-256 of value_base64: with the position, names this exact dead letter. */
  valueSha256: string;
  /** Times it was replayed (0 when never, or when dlq_replays does not exist yet). */
  replays: number;
  lastReplayedAt: string | null;
}

export interface SelectOptions {
  limit: number;
  order: 'newest-first' | 'oldest-first';
  /** False when dlq_replays does not exist (migration 007 not applied yet). */
  withReplays: boolean;
}

interface DlqSqlRow {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  ts: string;
  stage: string;
  error_code: string;
  reason: string;
  message_key: string;
  size_bytes: string;
  value_sha256: string;
  replays: string;
  last_replayed_at: string;
}

/** The original value's size from its base64 text, without decoding a 10 MB value. */
const SIZE_SQL = "toUInt64(intDiv(length(value_base64), 4) * 3 - if(endsWith(value_base64, '=='), 2, if(endsWith(value_base64, '='), 1, 0)))";
const ID_SQL = "concat(source_topic, ':', toString(source_partition), ':', toString(source_offset))";

/** WHERE conditions and their parameters for a filter. */
export function filterSql(filter: DlqFilter): { where: string; params: Record<string, unknown> } {
  const conds: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.since) {
    conds.push('ts >= fromUnixTimestamp64Milli({since:Int64})');
    params.since = filter.since.getTime();
  }
  if (filter.reason !== undefined) {
    conds.push('(positionCaseInsensitiveUTF8(reason, {reason:String}) > 0 OR positionCaseInsensitiveUTF8(error_code, {reason:String}) > 0)');
    params.reason = filter.reason;
  }
  if (filter.topic !== undefined) {
    conds.push('source_topic = {topic:String}');
    params.topic = filter.topic;
  }
  if (filter.ids) {
    conds.push(`${ID_SQL} IN {ids:Array(String)}`);
    params.ids = filter.ids.map(formatDlqId);
  }
  return { where: conds.length > 0 ? conds.join(' AND ') : '1', params };
}

/** Dead letters matching `filter`, without their values (those can be 10 MB each). */
export async function selectDlqEntries(store: Store, filter: DlqFilter, options: SelectOptions): Promise<DlqEntry[]> {
  const { where, params } = filterSql(filter);
  const dir = options.order === 'newest-first' ? 'DESC' : 'ASC';
  const dead = `SELECT source_topic, source_partition, source_offset, ts, stage, error_code, reason, message_key,
         ${SIZE_SQL} AS size_bytes, lower(hex(SHA256(value_base64))) AS value_sha256
  FROM dlq FINAL
  WHERE ${where}`;
  const sql = options.withReplays
    ? `SELECT d.*, r.replays AS replays, if(r.replays > 0, toString(r.last_replayed_at), '') AS last_replayed_at
FROM (${dead}) AS d
LEFT JOIN (
  SELECT source_topic, source_partition, source_offset, value_sha256, count() AS replays, max(replayed_at) AS last_replayed_at
  FROM dlq_replays
  GROUP BY source_topic, source_partition, source_offset, value_sha256
) AS r USING (source_topic, source_partition, source_offset, value_sha256)
ORDER BY ts ${dir}, source_topic, source_partition, source_offset ${dir}
LIMIT {limit:UInt32}`
    : `SELECT *, toUInt64(0) AS replays, '' AS last_replayed_at FROM (${dead})
ORDER BY ts ${dir}, source_topic, source_partition, source_offset ${dir}
LIMIT {limit:UInt32}`;
  const rows = await store.query<DlqSqlRow>(sql, { ...params, limit: options.limit });
  return rows.map((r) => ({
    id: { topic: r.source_topic, partition: Number(r.source_partition), offset: String(r.source_offset) },
    ts: r.ts,
    stage: r.stage,
    errorCode: r.error_code,
    reason: r.reason,
    key: r.message_key,
    sizeBytes: Number(r.size_bytes),
    valueSha256: r.value_sha256,
    replays: Number(r.replays),
    lastReplayedAt: r.last_replayed_at === '' ? null : r.last_replayed_at,
  }));
}

export async function tableExists(store: Store, table: string): Promise<boolean> {
  const rows = await store.query<{ n: string | number }>('SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {table:String}', { table });
  return Number(rows[0]?.n ?? 0) > 0;
}

export interface DlqMessage {
  value: Buffer;
  /** hex SHA-256 of the stored base64 text (compare with DlqEntry.valueSha256). */
  valueSha256: string;
  headers: Record<string, string>;
}

/** The stored bytes and headers of one dead letter; null when the row is gone. */
export async function fetchDlqMessage(store: Store, id: DlqId): Promise<DlqMessage | null> {
  const rows = await store.query<{ value_base64: string; headers: Record<string, string> }>(
    `SELECT value_base64, headers FROM dlq FINAL
WHERE source_topic = {topic:String} AND source_partition = {partition:Int32} AND source_offset = {offset:Int64}
LIMIT 1`,
    { topic: id.topic, partition: id.partition, offset: id.offset },
  );
  const row = rows[0];
  if (!row) return null;
  return {
    value: Buffer.from(row.value_base64, 'base64'),
    valueSha256: createHash('sha256').update(row.value_base64, 'utf8').digest('hex'),
    headers: row.headers ?? {},
  };
}

export interface ReplayRecord {
  id: DlqId;
  valueSha256: string;
  targetTopic: string;
  transport: string;
  forced: boolean;
  at: number;
}

/** Notes a replay, so the next run skips this dead letter unless --force. */
export async function recordReplay(store: Store, r: ReplayRecord): Promise<void> {
  await store.insert('dlq_replays', [
    {
      replayed_at: toClickHouseTime(r.at),
      source_topic: r.id.topic,
      source_partition: r.id.partition,
      source_offset: r.id.offset,
      value_sha256: r.valueSha256,
      target_topic: r.targetTopic,
      transport: r.transport,
      forced: r.forced ? 1 : 0,
    },
  ]);
}
