import { PipelineError } from '../errors.ts';
import type { Store } from './store.ts';

/**
 * Whether the store's disk has room for writes, as its inserts last found: ClickHouse
 * answers NOT_ENOUGH_SPACE (243) when it cannot reserve room for a part, and a write that
 * hits the full disk fails with ENOSPC ("No space left on device"). The embedded pipeline
 * watches its own store so ingest can refuse at once, with a reason, instead of making
 * every client wait out the acknowledgement timeout. The next insert into a table that
 * failed, once it succeeds (the writer retries its batch until one does), clears it — a
 * small insert elsewhere (an alert, a progress row) can fit where a `traces` part does
 * not, so it says nothing of the room a batch needs; `holdMs` without another
 * failure, so a spell never outlives the failures that showed it (the insert that failed
 * may have been one nobody retries; the requests let in then find out again).
 */
export interface OutOfSpace {
  /** Epoch ms of the first failed insert of this spell. */
  since: number;
  /** The engine's error, as it said it. */
  message: string;
}

export interface WriteSpace {
  /** The current spell of a full disk, or null when the last insert went through. */
  outOfSpace(): OutOfSpace | null;
}

const NOT_ENOUGH_SPACE = 243;
const NO_SPACE_TEXT = /ENOSPC|No space left on device|not enough space/i;

export function isOutOfSpace(err: unknown): boolean {
  if (err instanceof PipelineError && err.chCode === NOT_ENOUGH_SPACE) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || NO_SPACE_TEXT.test(String((err as Error | null)?.message ?? ''));
}

/** `store` with its inserts watched: the same Store, plus what they last found. */
export function watchWriteSpace(store: Store, options: { now?: () => number; holdMs?: number } = {}): { store: Store; space: WriteSpace } {
  const now = options.now ?? Date.now;
  const holdMs = options.holdMs ?? 15_000;
  let spell: OutOfSpace | null = null;
  let lastFailureAt = 0;
  const failing = new Set<string>();
  const watched: Store = {
    async insert(table, rows, options) {
      try {
        await store.insert(table, rows, options);
      } catch (err) {
        if (isOutOfSpace(err)) {
          lastFailureAt = now();
          failing.add(table);
          spell ??= { since: lastFailureAt, message: (err as Error).message };
        }
        throw err;
      }
      if (failing.delete(table) && failing.size === 0) spell = null;
    },
    query: (sql, params) => store.query(sql, params),
    queryJsonLines: (sql, params) => store.queryJsonLines(sql, params),
    command: (sql, params) => store.command(sql, params),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  const outOfSpace = () => {
    if (spell && now() - lastFailureAt > holdMs) {
      spell = null;
      failing.clear();
    }
    return spell;
  };
  return { store: watched, space: { outOfSpace } };
}
