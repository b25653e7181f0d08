import { createHash } from 'node:crypto';
import type { Store } from '../core/store/store.ts';

/**
 * Deterministic batches across restarts. Before an insert its offset ranges and token are
 * logged (table writer_batches, one row per topic-partition range it covers). A writer
 * that resumes a partition reads the logged ranges at or after its start offset and cuts
 * the replayed messages along them, reusing the tokens, so an insert that happened before
 * a crash is deduplicated by ClickHouse instead of being counted twice.
 */
export interface LoggedBatch {
  first: number;
  last: number;
  token: string;
  /** Rows the original insert carried (after its de-duplication), when the log knows. */
  rows?: number;
  /** How many topic-partition ranges the original insert covered (1: this range alone). */
  parts?: number;
}

/** One topic-partition's contiguous offsets in an insert. */
export interface OffsetRange {
  topic: string;
  partition: number;
  first: number;
  last: number;
}

/**
 * A planned insert; `partial` when this delivery holds only the head of a logged batch;
 * `replayOf` when it is a logged batch replayed whole (its original row count, if known).
 */
export interface PlannedBatch extends LoggedBatch {
  partial: boolean;
  /** `parts`: how many topic-partition ranges the logged insert covered (absent: 1). */
  replayOf?: { rows: number | undefined; parts?: number };
}

export interface BatchLog {
  /** Logged batches of this partition whose range ends at or after `fromOffset`, oldest first. */
  pending(topic: string, partition: number, fromOffset: number): Promise<LoggedBatch[]>;
  /** Logs one insert: every range it covers, its token, its row count; one write. */
  record(ranges: readonly OffsetRange[], token: string, rows: number): Promise<void>;
  /** Offsets up to `last` are committed: their logged batches will never be replayed. Optional. */
  committed?(topic: string, partition: number, last: number): void;
}

const PENDING_SQL = `
SELECT first_offset AS first, last_offset AS last, token, rows, parts
FROM writer_batches FINAL
WHERE consumer_group = {group:String} AND topic = {topic:String} AND partition = {partition:Int32}
  AND last_offset >= {from:Int64}
ORDER BY first_offset`;

export function createBatchLog(store: Store, group: string): BatchLog {
  return {
    async pending(topic, partition, fromOffset) {
      const rows = await store.query<{ first: string | number; last: string | number; token: string; rows: string | number; parts: string | number }>(PENDING_SQL, {
        group,
        topic,
        partition,
        from: fromOffset,
      });
      return rows.map((r) => ({ first: Number(r.first), last: Number(r.last), token: r.token, rows: Number(r.rows), parts: Number(r.parts) }));
    },
    async record(ranges, token, rows) {
      await store.insert(
        'writer_batches',
        ranges.map((r) => ({ consumer_group: group, topic: r.topic, partition: r.partition, first_offset: r.first, last_offset: r.last, token, rows, parts: ranges.length })),
      );
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
    async record(ranges, token, rows) {
      for (const r of ranges) {
        const key = keyOf(r.topic, r.partition);
        const list = (logs.get(key) ?? []).filter((b) => b.first !== r.first);
        list.push({ first: r.first, last: r.last, token, rows, parts: ranges.length });
        list.sort((a, b) => a.first - b.first);
        logs.set(key, list);
      }
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
 * The token of an insert covering `ranges`: one range keeps the single-delivery form
 * (batchToken); several get one derived from all of them, sorted, so the same set of
 * ranges always gets the same token.
 */
export function groupToken(group: string, ranges: readonly OffsetRange[]): string {
  const sorted = [...ranges].sort(compareRanges);
  if (sorted.length === 1) return batchToken(group, sorted[0].topic, sorted[0].partition, sorted[0].first, sorted[0].last);
  const digest = createHash('sha256').update(sorted.map((r) => `${r.topic}:${r.partition}:${r.first}-${r.last}`).join(',')).digest('hex').slice(0, 32);
  return `${group}:multi:${digest}`.replace(/[^A-Za-z0-9_.:-]/g, '_');
}

/** Ranges in the order an insert puts their rows: by topic, partition, first offset. */
export function compareRanges(a: OffsetRange, b: OffsetRange): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.first - b.first;
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
    out.push({ first: cursor, last: b.last, token: b.token, partial: false, replayOf: b.parts !== undefined && b.parts > 1 ? { rows: b.rows, parts: b.parts } : { rows: b.rows } });
    cursor = b.last + 1;
  }
  if (cursor <= offsets.last) out.push({ first: cursor, last: offsets.last, token: newToken(cursor, offsets.last), partial: false });
  return out;
}
