import type { Store } from '../core/store/store.ts';

/**
 * Deterministic batches across restarts. Before a batch is inserted its offset range and
 * token are logged (table writer_batches). A writer that resumes a partition reads the
 * logged ranges at or after its start offset and cuts the replayed messages along them,
 * reusing the tokens, so an insert that happened before a crash is deduplicated by
 * ClickHouse instead of being counted twice.
 */
export interface LoggedBatch {
  first: number;
  last: number;
  token: string;
  /** Rows the original insert carried (after its de-duplication), when the log knows. */
  rows?: number;
}

/**
 * A planned insert; `partial` when this delivery holds only the head of a logged batch;
 * `replayOf` when it is a logged batch replayed whole (its original row count, if known).
 */
export interface PlannedBatch extends LoggedBatch {
  partial: boolean;
  replayOf?: { rows: number | undefined };
}

export interface BatchLog {
  /** Logged batches of this partition whose range ends at or after `fromOffset`, oldest first. */
  pending(topic: string, partition: number, fromOffset: number): Promise<LoggedBatch[]>;
  record(topic: string, partition: number, batch: LoggedBatch, rows: number): Promise<void>;
  /** Offsets up to `last` are committed: their logged batches will never be replayed. Optional. */
  committed?(topic: string, partition: number, last: number): void;
}

const PENDING_SQL = `
SELECT first_offset AS first, last_offset AS last, token, rows
FROM writer_batches FINAL
WHERE consumer_group = {group:String} AND topic = {topic:String} AND partition = {partition:Int32}
  AND last_offset >= {from:Int64}
ORDER BY first_offset`;

export function createBatchLog(store: Store, group: string): BatchLog {
  return {
    async pending(topic, partition, fromOffset) {
      const rows = await store.query<{ first: string | number; last: string | number; token: string; rows: string | number }>(PENDING_SQL, {
        group,
        topic,
        partition,
        from: fromOffset,
      });
      return rows.map((r) => ({ first: Number(r.first), last: Number(r.last), token: r.token, rows: Number(r.rows) }));
    },
    async record(topic, partition, batch, rows) {
      await store.insert('writer_batches', [
        { consumer_group: group, topic, partition, first_offset: batch.first, last_offset: batch.last, token: batch.token, rows },
      ]);
    },
  };
}

/**
 * The batch log for the in-process bus. Its offsets live in memory and restart at 0 with
 * the process, so the log must not outlive the process either: a persisted log
 * (writer_batches) would be read back against NEW messages at the same offsets and
 * its old tokens reused, so ClickHouse would drop those new rows as duplicates.
 * Within the process it does what writer_batches does (redeliveries after a failed
 * insert are re-cut along the same batches), without an insert per batch.
 */
export function createMemoryBatchLog(): BatchLog {
  const logs = new Map<string, LoggedBatch[]>();
  const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  return {
    async pending(topic, partition, fromOffset) {
      return (logs.get(keyOf(topic, partition)) ?? []).filter((b) => b.last >= fromOffset).map((b) => ({ ...b }));
    },
    async record(topic, partition, batch, rows) {
      const key = keyOf(topic, partition);
      const list = (logs.get(key) ?? []).filter((b) => b.first !== batch.first);
      list.push({ first: batch.first, last: batch.last, token: batch.token, rows });
      list.sort((a, b) => a.first - b.first);
      logs.set(key, list);
    },
    committed(topic, partition, last) {
      const key = keyOf(topic, partition);
      const list = logs.get(key);
      if (!list) return;
      const left = list.filter((b) => b.last > last);
      if (left.length === 0) logs.delete(key);
      else logs.set(key, left);
    },
  };
}

export function batchToken(group: string, topic: string, partition: number, first: number, last: number): string {
  return `${group}:${topic}:${partition}:${first}-${last}`.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

/**
 * Split a contiguous run of offsets [first..last] into the logged ranges (where they
 * overlap) and new ranges. Pure; tested in batch-plan.test.ts.
 */
export function planBatches(
  offsets: { first: number; last: number },
  logged: readonly LoggedBatch[],
  newToken: (first: number, last: number) => string,
): PlannedBatch[] {
  const out: PlannedBatch[] = [];
  let cursor = offsets.first;
  for (const b of logged) {
    if (b.last < cursor) continue;
    if (b.first > offsets.last) break;
    if (b.first > cursor) {
      out.push({ first: cursor, last: b.first - 1, token: newToken(cursor, b.first - 1), partial: false });
      cursor = b.first;
    }
    // Reusing a logged token is right only for the logged range whole. When this delivery
    // holds just its head, the caller must not reuse the token (the tail would later be
    // dropped as a duplicate if the original insert never happened); it checks which
    // trace_ids are already stored instead.
    if (b.last > offsets.last) {
      out.push({ first: cursor, last: offsets.last, token: `${b.token}.head-${offsets.last}`, partial: true });
      return out;
    }
    out.push({ first: cursor, last: b.last, token: b.token, partial: false, replayOf: { rows: b.rows } });
    cursor = b.last + 1;
  }
  if (cursor <= offsets.last) out.push({ first: cursor, last: offsets.last, token: newToken(cursor, offsets.last), partial: false });
  return out;
}
