import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';

/**
 * The on-disk format of the alert outbox: one JSON record per line, appended and
 * fsynced before the call that wrote it returns. Replaying the records in order rebuilds
 * the outbox; a compacted file starts with a header and holds one `item` snapshot per
 * live item. Sync I/O on purpose: alert volume is tiny, and a write that has returned is
 * on disk, with no interleaving between callers.
 */
export const JOURNAL_FILE = 'journal.jsonl';
export const JOURNAL_VERSION = 1;

export type OutboxState = 'pending' | 'delivered' | 'failed';

/** One notification to one receiver, as the outbox keeps it. */
export interface OutboxItem {
  /** Delivery id, `${group_id}:${receiver}`; also the Idempotency-Key. */
  id: string;
  receiver: string;
  /** The JSON body to POST; null once delivered/failed and compacted (only the id is kept, for dedup). */
  body: unknown;
  /** Order of enqueueing: per receiver, items go out in this order. */
  seq: number;
  created_at: number;
  state: OutboxState;
  /** Attempts made so far. */
  attempt: number;
  /** Epoch ms before which the item is not sent (again). */
  next_at: number;
  last_error: string | null;
  /** HTTP status of the final answer (delivered, or failed with a status). */
  status: number | null;
  /** Why it failed for good. */
  reason: string | null;
  /** When it was delivered or failed. */
  done_at: number | null;
}

export type JournalRecord =
  | { t: 'header'; version: number; at: number }
  | { t: 'enqueued'; id: string; receiver: string; body: unknown; at: number }
  | { t: 'attempt'; id: string; attempt: number; next_at: number; last_error: string | null }
  | { t: 'delivered'; id: string; status: number; at: number }
  | { t: 'failed'; id: string; reason: string; status: number | null; at: number }
  | { t: 'item'; item: OutboxItem };

export interface ReadResult {
  records: JournalRecord[];
  /** Lines that did not parse (a torn last line after a crash, normally). */
  skipped: number;
}

/** Reads every record of a journal file; a missing file is an empty journal. */
export function readJournal(path: string): ReadResult {
  if (!existsSync(path)) return { records: [], skipped: 0 };
  const records: JournalRecord[] = [];
  let skipped = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as JournalRecord;
      if (r && typeof r === 'object' && typeof r.t === 'string') records.push(r);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}

const serialise = (records: readonly JournalRecord[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

/** An open journal file in append mode. */
export class JournalWriter {
  private fd: number;
  /** Where a torn append began when cutting it back failed too; cut at the next append. */
  private tornFrom: number | null = null;
  constructor(private readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /**
   * Appends the records in one write and fsyncs: durable when this returns. When the write
   * fails part-way (the disk filled up: a short write, then ENOSPC), the file is cut back to
   * where it was, so a torn line never glues itself to the next record, and the error is
   * thrown: the caller has stored nothing and may try again.
   */
  append(records: readonly JournalRecord[]): void {
    if (records.length === 0) return;
    if (this.tornFrom !== null) {
      try {
        ftruncateSync(this.fd, this.tornFrom);
        this.tornFrom = null;
      } catch {
        // still cannot cut back: the record below starts on a line of its own
      }
    }
    // After a torn write that could not be cut back, a newline ends the torn line so it
    // cannot swallow this record (replay skips it; the next compaction drops it).
    const buf = Buffer.from((this.tornFrom !== null ? '\n' : '') + serialise(records), 'utf8');
    const size = fstatSync(this.fd).size;
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
      fsyncSync(this.fd);
      this.tornFrom = null;
    } catch (err) {
      try {
        ftruncateSync(this.fd, size);
      } catch {
        this.tornFrom ??= size;
      }
      throw err;
    }
  }

  /**
   * Replaces the file with `records`: written to a temp file, fsynced, renamed over the
   * journal and the directory fsynced, so a crash leaves either the old or the new file,
   * never a mix.
   */
  rewrite(records: readonly JournalRecord[], dir: string): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      const buf = Buffer.from(serialise(records), 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true }); // a half-written copy (disk full) must not hold the space it lacked
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, this.path);
    fsyncDir(dir);
    const fresh = openSync(this.path, 'a'); // before closing the old one: a failed open leaves a usable descriptor
    closeSync(this.fd);
    this.fd = fresh;
    this.tornFrom = null;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
