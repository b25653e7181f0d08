import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { JOURNAL_FILE, JOURNAL_VERSION, JournalWriter, readJournal, type JournalRecord, type OutboxItem } from './outbox-journal.ts';

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
 * Single writer: a lock file (pid) refuses a second open of the same directory while
 * the first process lives (and a second open within one process until close()).
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
}

const LOCK_FILE = 'outbox.lock';
const openDirs = new Set<string>();

function acquireLock(dir: string): void {
  if (openDirs.has(dir)) throw new Error(`outbox ${dir} is already open in this process`);
  const lock = join(dir, LOCK_FILE);
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number(readFileSync(lock, 'utf8').trim());
    // Our own pid but not open here: a previous run in a container that reuses pids. Stale.
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new Error(`outbox ${dir} is in use by process ${pid}`);
    }
    writeFileSync(lock, String(process.pid));
  }
  openDirs.add(dir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseLock(dir: string): void {
  openDirs.delete(dir);
  rmSync(join(dir, LOCK_FILE), { force: true });
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
  const items = new Map<string, OutboxItem>();
  let seq = 0;
  let skipped = 0;
  let writer: JournalWriter;
  try {
    const read = readJournal(path);
    skipped = read.skipped;
    for (const r of read.records) apply(r);
    writer = new JournalWriter(path);
  } catch (err) {
    releaseLock(root);
    throw err;
  }
  let sinceCompaction = 0;
  let compactions = 0;
  let closed = false;

  function apply(r: JournalRecord): void {
    switch (r.t) {
      case 'header':
        if (r.version !== JOURNAL_VERSION) throw new Error(`outbox journal ${path} has version ${r.version}; this build reads ${JOURNAL_VERSION}`);
        return;
      case 'item':
        items.set(r.item.id, { ...r.item });
        seq = Math.max(seq, r.item.seq + 1);
        return;
      case 'enqueued':
        if (items.has(r.id)) return;
        items.set(r.id, { id: r.id, receiver: r.receiver, body: r.body, seq: seq++, created_at: r.at, state: 'pending', attempt: 0, next_at: r.at, last_error: null, status: null, reason: null, done_at: null });
        return;
      case 'attempt': {
        const it = items.get(r.id);
        if (it?.state !== 'pending') return;
        it.attempt = r.attempt;
        it.next_at = r.next_at;
        it.last_error = r.last_error;
        return;
      }
      case 'delivered': {
        const it = items.get(r.id);
        if (it?.state !== 'pending') return;
        Object.assign(it, { state: 'delivered', status: r.status, done_at: r.at });
        return;
      }
      case 'failed': {
        const it = items.get(r.id);
        if (it?.state !== 'pending') return;
        Object.assign(it, { state: 'failed', reason: r.reason, status: r.status, done_at: r.at });
        return;
      }
      default:
        return; // unknown record types from a newer build are ignored
    }
  }

  function write(records: JournalRecord[]): void {
    if (closed) throw new Error('outbox is closed');
    writer.append(records);
    for (const r of records) apply(r);
    sinceCompaction += records.length;
    if (sinceCompaction >= compactAfter) compact();
  }

  function compact(): void {
    if (closed) throw new Error('outbox is closed');
    const t = now();
    const done = [...items.values()].filter((i) => i.state !== 'pending').sort((a, b) => (b.done_at ?? 0) - (a.done_at ?? 0));
    done.forEach((i, n) => {
      if (n >= maxDone || t - (i.done_at ?? t) > retainDoneMs) items.delete(i.id);
    });
    const snapshot: JournalRecord[] = [{ t: 'header', version: JOURNAL_VERSION, at: t }];
    for (const i of sorted()) snapshot.push({ t: 'item', item: i.state === 'pending' ? i : { ...i, body: null } });
    writer.rewrite(snapshot, root);
    for (const i of items.values()) if (i.state !== 'pending') i.body = null;
    sinceCompaction = 0;
    compactions++;
  }

  const sorted = () => [...items.values()].sort((a, b) => a.seq - b.seq);
  const copy = (i: OutboxItem): OutboxItem => ({ ...i });
  const pendingItems = () => sorted().filter((i) => i.state === 'pending');
  const isPending = (id: string) => items.get(id)?.state === 'pending';

  try {
    compact();
    compactions = 0;
  } catch (err) {
    writer.close();
    releaseLock(root);
    throw err;
  }

  return {
    dir: root,
    add(input) {
      const t = now();
      const seen = new Set<string>();
      const records: JournalRecord[] = [];
      for (const i of input) {
        if (items.has(i.id) || seen.has(i.id)) continue;
        seen.add(i.id);
        records.push({ t: 'enqueued', id: i.id, receiver: i.receiver, body: i.body, at: t });
      }
      write(records);
      return [...seen];
    },
    due(at) {
      return pendingItems().filter((i) => i.next_at <= at).map(copy);
    },
    pending() {
      return pendingItems().map(copy);
    },
    nextDueAt() {
      let min: number | null = null;
      for (const i of items.values()) if (i.state === 'pending' && (min === null || i.next_at < min)) min = i.next_at;
      return min;
    },
    markAttempt(id, attempt, nextAt, error) {
      if (isPending(id)) write([{ t: 'attempt', id, attempt, next_at: nextAt, last_error: error }]);
    },
    markDelivered(id, status) {
      if (isPending(id)) write([{ t: 'delivered', id, status, at: now() }]);
    },
    markFailed(id, reason, status = null) {
      if (isPending(id)) write([{ t: 'failed', id, reason, status, at: now() }]);
    },
    get(id) {
      const i = items.get(id);
      return i && copy(i);
    },
    list() {
      return sorted().map(copy);
    },
    stats() {
      let pending = 0;
      let delivered = 0;
      let failed = 0;
      for (const i of items.values()) {
        if (i.state === 'pending') pending++;
        else if (i.state === 'delivered') delivered++;
        else failed++;
      }
      return { pending, delivered, failed, journal_records: sinceCompaction, compactions, skipped_lines: skipped };
    },
    compact,
    close() {
      if (closed) return;
      closed = true;
      writer.close();
      releaseLock(root);
    },
  };
}
