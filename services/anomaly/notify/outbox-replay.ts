import { JOURNAL_VERSION, type JournalRecord, type OutboxItem } from './outbox-journal.ts';

/**
 * What the journal's records make of the outbox items, in memory and without I/O: the
 * replay at open, each record written afterwards, and the other direction, the records
 * of a compacted journal (a header and one snapshot per live item) that replay to the
 * same items.
 */
export interface OutboxTable {
  readonly byId: Map<string, OutboxItem>;
  /** `seq` of the next enqueued item. */
  nextSeq: number;
}

export function emptyTable(): OutboxTable {
  return { byId: new Map(), nextSeq: 0 };
}

/** Replays a journal read from `path`; throws on a header of another journal version. */
export function replayJournal(items: OutboxTable, records: readonly JournalRecord[], path: string): void {
  for (const r of records) {
    if (r.t === 'header' && r.version !== JOURNAL_VERSION) throw new Error(`outbox journal ${path} has version ${r.version}; this build reads ${JOURNAL_VERSION}`);
    applyRecord(items, r);
  }
}

/** One record's effect. Marks apply only to pending items (a final state is final); an enqueue of a known id is a no-op. */
export function applyRecord(items: OutboxTable, r: JournalRecord): void {
  const byId = items.byId;
  switch (r.t) {
    case 'header':
      return;
    case 'item':
      byId.set(r.item.id, { ...r.item });
      items.nextSeq = Math.max(items.nextSeq, r.item.seq + 1);
      return;
    case 'enqueued':
      if (byId.has(r.id)) return;
      byId.set(r.id, { id: r.id, receiver: r.receiver, body: r.body, seq: items.nextSeq++, created_at: r.at, state: 'pending', attempt: 0, next_at: r.at, last_error: null, status: null, reason: null, done_at: null });
      return;
    case 'attempt': {
      const it = byId.get(r.id);
      if (it?.state !== 'pending') return;
      it.attempt = r.attempt;
      it.next_at = r.next_at;
      it.last_error = r.last_error;
      return;
    }
    case 'delivered': {
      const it = byId.get(r.id);
      if (it?.state !== 'pending') return;
      Object.assign(it, { state: 'delivered', status: r.status, done_at: r.at });
      return;
    }
    case 'failed': {
      const it = byId.get(r.id);
      if (it?.state !== 'pending') return;
      Object.assign(it, { state: 'failed', reason: r.reason, status: r.status, done_at: r.at });
      return;
    }
    default:
      return; // unknown record types from a newer build are ignored
  }
}

/** Every item in enqueueing order. */
export function inOrder(items: OutboxTable): OutboxItem[] {
  return [...items.byId.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Forgets done (delivered/failed) ids older than `retainDoneMs` at `now` or beyond the
 * `maxDone` newest, and returns the records of the compacted journal; done items are
 * snapshot without their body (only the id is kept, for dedup).
 */
export function compactItems(items: OutboxTable, now: number, retainDoneMs: number, maxDone: number): JournalRecord[] {
  const done = [...items.byId.values()].filter((i) => i.state !== 'pending').sort((a, b) => (b.done_at ?? 0) - (a.done_at ?? 0));
  done.forEach((i, n) => {
    if (n >= maxDone || now - (i.done_at ?? now) > retainDoneMs) items.byId.delete(i.id);
  });
  const snapshot: JournalRecord[] = [{ t: 'header', version: JOURNAL_VERSION, at: now }];
  for (const i of inOrder(items)) snapshot.push({ t: 'item', item: i.state === 'pending' ? i : { ...i, body: null } });
  return snapshot;
}

/** Once the compacted journal is on disk, done items drop their body in memory too. */
export function dropDoneBodies(items: OutboxTable): void {
  for (const i of items.byId.values()) if (i.state !== 'pending') i.body = null;
}
