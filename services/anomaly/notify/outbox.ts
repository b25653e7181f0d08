import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JOURNAL_FILE, JournalWriter, readJournal, type JournalRecord, type OutboxItem } from './outbox-journal.ts';
import { acquireLock, releaseLock } from './outbox-lock.ts';
import { applyRecord, compactItems, dropDoneBodies, emptyTable, inOrder, replayJournal } from './outbox-replay.ts';
import { dueItems, isPending, nextDueAt, pendingItems, stateCounts } from './outbox-schedule.ts';

export type { OutboxItem, OutboxState } from './outbox-journal.ts';

/**
 * The persistent outbox between "an alert changed" and "a receiver has it". Alerts are
 * written here (durably) before any HTTP call, so a crash, a restart or a receiver that
 * is down for hours loses nothing, and retries survive restarts with their attempt
 * count and next_at.
 *
 * Exactly-once-ish: items are keyed by delivery id (`${group_id}:${receiver}`); adding
 * an id the outbox already knows — pending, delivered or failed, within `retainDoneMs`
 * — is a no-op, so re-processing the same alerts after a restart never sends twice.
 * The one window for a duplicate is a crash after the receiver answered 2xx and before
 * markDelivered reached the disk: the item is still pending after the restart and is
 * sent again. Webhook receivers get `Idempotency-Key: <delivery id>` to drop it; Slack
 * incoming webhooks have no such key, so Slack may, rarely, show a message twice.
 *
 * Single writer: a kernel-held file lock refuses a second open of the same directory while
 * the first process lives (and a second open within one process until close()).
 *
 * The parts: outbox-journal.ts (the file format), outbox-replay.ts (records → items,
 * and the compacted snapshot), outbox-schedule.ts (what is due), outbox-lock.ts.
 */
export interface OutboxItemInput {
  id: string;
  receiver: string;
  body: unknown;
}

export interface OutboxStats {
  pending: number;
  delivered: number;
  failed: number;
  /** Records appended since the last compaction. */
  journal_records: number;
  compactions: number;
  /** Compactions that failed (disk full) after their records were stored; retried at the next write. */
  compaction_failures: number;
  /** Unreadable lines dropped when the journal was opened (a torn last write after a crash). */
  skipped_lines: number;
}

export interface Outbox {
  readonly dir: string;
  /** Enqueues items whose id is new; returns the ids actually added. Durable on return. */
  add(items: readonly OutboxItemInput[]): string[];
  /** Pending items with next_at <= now, oldest first. */
  due(now: number): OutboxItem[];
  /** Every pending item, oldest first (the deliverer keeps per-receiver order from this). */
  pending(): OutboxItem[];
  /** Earliest next_at over pending items; null when nothing is pending. */
  nextDueAt(): number | null;
  /** Records a failed attempt and when to try again. Ignored unless the item is pending. */
  markAttempt(id: string, attempt: number, nextAt: number, error: string | null): void;
  /** Final: the receiver answered 2xx. Ignored unless the item is pending. */
  markDelivered(id: string, status: number): void;
  /** Final: will not be retried (4xx, refused target, too many attempts). Ignored unless pending. */
  markFailed(id: string, reason: string, status?: number | null): void;
  get(id: string): OutboxItem | undefined;
  list(): OutboxItem[];
  stats(): OutboxStats;
  /** Compacts now (normally automatic). */
  compact(): void;
  close(): void;
}

export interface OutboxOptions {
  now?: () => number;
  /** Compact after this many appended records. Default 1000. */
  compactAfterRecords?: number;
  /** Keep delivered/failed ids (for dedup) this long after they finished. Default 7 days. */
  retainDoneMs?: number;
  /** And at most this many of them, newest kept. Default 50 000. */
  maxDone?: number;
  /** Told when a compaction failed (it is retried later; the records are safe in the journal). */
  onCompactionError?: (err: Error) => void;
}

/**
 * Opens (creating if needed) the outbox in `dir`, replays its journal and compacts it.
 * Why replay-then-compact at open: it drops a torn last line and expired ids at once,
 * so the file stays small and always well-formed.
 */
export function openOutbox(dir: string, options: OutboxOptions = {}): Outbox {
  const now = options.now ?? Date.now;
  const compactAfter = options.compactAfterRecords ?? 1000;
  const retainDoneMs = options.retainDoneMs ?? 7 * 24 * 3600_000;
  const maxDone = options.maxDone ?? 50_000;
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  acquireLock(root);

  const path = join(root, JOURNAL_FILE);
  const items = emptyTable();
  let skipped = 0;
  let writer: JournalWriter;
  try {
    const read = readJournal(path);
    skipped = read.skipped;
    replayJournal(items, read.records, path);
    writer = new JournalWriter(path);
  } catch (err) {
    releaseLock(root);
    throw err;
  }
  let sinceCompaction = 0;
  let compactions = 0;
  let compactionFailures = 0;
  /** After failed compactions the next waits for 2, 4, 8 … more records (up to compactAfter): a full disk is not rewritten at every write. */
  let retryAfter = compactAfter;
  let failedInARow = 0;
  let closed = false;

  function write(records: JournalRecord[]): void {
    if (closed) throw new Error('outbox is closed');
    writer.append(records);
    for (const r of records) applyRecord(items, r);
    sinceCompaction += records.length;
    if (sinceCompaction >= retryAfter) tryCompact();
  }

  /** The records are stored either way; a compaction that fails (disk full) is tried again later. */
  function tryCompact(): void {
    try {
      compact();
      retryAfter = compactAfter;
      failedInARow = 0;
    } catch (err) {
      compactionFailures++;
      failedInARow++;
      retryAfter = sinceCompaction + Math.min(compactAfter, 2 ** failedInARow);
      options.onCompactionError?.(err as Error);
    }
  }

  function compact(): void {
    if (closed) throw new Error('outbox is closed');
    writer.rewrite(compactItems(items, now(), retainDoneMs, maxDone), root);
    dropDoneBodies(items);
    sinceCompaction = 0;
    compactions++;
  }

  const copy = (i: OutboxItem): OutboxItem => ({ ...i });

  // At open: a disk too full to rewrite the journal does not stop the outbox from
  // opening (its records were read; appends may still fit), it compacts later.
  tryCompact();
  compactions = 0;

  return {
    dir: root,
    add(input) {
      const t = now();
      const seen = new Set<string>();
      const records: JournalRecord[] = [];
      for (const i of input) {
        if (items.byId.has(i.id) || seen.has(i.id)) continue;
        seen.add(i.id);
        records.push({ t: 'enqueued', id: i.id, receiver: i.receiver, body: i.body, at: t });
      }
      write(records);
      return [...seen];
    },
    due: (at) => dueItems(items, at).map(copy),
    pending: () => pendingItems(items).map(copy),
    nextDueAt: () => nextDueAt(items),
    markAttempt(id, attempt, nextAt, error) {
      if (isPending(items, id)) write([{ t: 'attempt', id, attempt, next_at: nextAt, last_error: error }]);
    },
    markDelivered(id, status) {
      if (isPending(items, id)) write([{ t: 'delivered', id, status, at: now() }]);
    },
    markFailed(id, reason, status = null) {
      if (isPending(items, id)) write([{ t: 'failed', id, reason, status, at: now() }]);
    },
    get(id) {
      const i = items.byId.get(id);
      return i && copy(i);
    },
    list: () => inOrder(items).map(copy),
    stats: () => ({ ...stateCounts(items), journal_records: sinceCompaction, compactions, compaction_failures: compactionFailures, skipped_lines: skipped }),
    compact,
    close() {
      if (closed) return;
      closed = true;
      writer.close();
      releaseLock(root);
    },
  };
}
