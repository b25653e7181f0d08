/**
 * One insert for many deliveries. The engine charges a fixed ~40–55 CPU-ms per insert into
 * `traces` and its views, so inserting each partition's delivery on its own (83 rows on
 * average under load) spends the engine on overhead. Deliveries of every partition add
 * their pieces here and wait; the group flushes them as one insert when
 * - it holds `maxRows` rows or `maxBytes` bytes, or
 * - every delivery in flight is waiting on it (nothing more can arrive until it flushes)
 *   and `quietMs` passed since the last piece, or
 * - its first piece has waited `maxWaitMs`.
 * A piece's promise settles with its insert: resolved once the insert resolved (the caller
 * then commits its offsets), rejected with the insert's error (the caller's delivery is
 * redelivered). Pieces that arrive while an insert runs go to the next one, so inserts
 * overlap with filling.
 */
export interface GroupLimits {
  maxRows: number;
  maxBytes: number;
  quietMs: number;
  maxWaitMs: number;
}

export interface InsertGroup<P> {
  /** A delivery began (it may add pieces later); pair with `leave()`. */
  enter(): void;
  /** A delivery ended (its pieces were inserted, or it failed). */
  leave(): void;
  /** Adds a piece of `rows` rows, `bytes` bytes; settles with the insert that carries it. */
  add(piece: P, rows: number, bytes: number): Promise<void>;
  /** Flushes what is buffered now (shutdown, a test); resolves when that insert settled. */
  flush(): Promise<void>;
  readonly buffered: number;
}

interface Pending<P> {
  piece: P;
  resolve(): void;
  reject(err: unknown): void;
}

export function createInsertGroup<P>(limits: GroupLimits, insert: (pieces: P[]) => Promise<void>): InsertGroup<P> {
  let pending: Pending<P>[] = [];
  let rows = 0;
  let bytes = 0;
  let inFlight = 0;
  let firstAt = 0;
  let lastAt = 0;
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();

  const waiting = () => pending.length;

  function schedule(): void {
    if (pending.length === 0) return;
    const now = Date.now();
    if (rows >= limits.maxRows || bytes >= limits.maxBytes || now - firstAt >= limits.maxWaitMs) return void flushNow();
    // Every delivery in flight waits here: nothing more will come until this flushes.
    const allParked = waiting() >= inFlight;
    if (allParked && now - lastAt >= limits.quietMs) return void flushNow();
    const due = allParked ? lastAt + limits.quietMs : firstAt + limits.maxWaitMs;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      schedule();
    }, Math.max(0, due - now));
  }

  function flushNow(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (pending.length === 0) return flushing;
    const batch = pending;
    pending = [];
    rows = 0;
    bytes = 0;
    // Inserts run one after another (the next fills meanwhile), so their order is the
    // order pieces arrived in and a failure never overtakes an earlier success.
    flushing = flushing.then(async () => {
      try {
        await insert(batch.map((p) => p.piece));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    });
    return flushing;
  }

  return {
    enter() {
      inFlight++;
    },
    leave() {
      inFlight = Math.max(0, inFlight - 1);
      schedule(); // the deliveries still in flight may all be parked now
    },
    add(piece, n, size) {
      return new Promise<void>((resolve, reject) => {
        const now = Date.now();
        if (pending.length === 0) firstAt = now;
        lastAt = now;
        pending.push({ piece, resolve, reject });
        rows += n;
        bytes += size;
        schedule();
      });
    },
    flush: () => flushNow(),
    get buffered() {
      return rows;
    },
  };
}
