/**
 * Parked delayed evaluations: each waits until its due time, then a periodic tick (the
 * service's node-cron job) starts it. `park` returns a promise of the work's result, so
 * the batch that parked it can wait for it before being committed.
 */
export interface PendingQueue {
  park<T>(dueMs: number, run: () => Promise<T>): Promise<T>;
  /** Start every item due at `now`; returns how many were started. */
  runDue(now: number): number;
  /** Reject every item not yet started (shutdown: their batches are not committed). */
  rejectAll(err: Error): void;
  /** Items waiting (not started). */
  size(): number;
  /** Earliest due time waiting, or null. */
  nextDue(): number | null;
}

interface Item {
  due: number;
  start: () => void;
  reject: (err: Error) => void;
}

export function createPendingQueue(): PendingQueue {
  let items: Item[] = [];
  return {
    park<T>(due: number, run: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        items.push({ due, reject, start: () => void run().then(resolve, reject) });
      });
    },
    runDue(now) {
      const due = items.filter((i) => i.due <= now);
      if (due.length === 0) return 0;
      items = items.filter((i) => i.due > now);
      for (const item of due) item.start();
      return due.length;
    },
    rejectAll(err) {
      const waiting = items;
      items = [];
      for (const item of waiting) item.reject(err);
    },
    size: () => items.length,
    nextDue: () => (items.length === 0 ? null : items.reduce((min, i) => Math.min(min, i.due), Number.POSITIVE_INFINITY)),
  };
}
