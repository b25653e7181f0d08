import { Session } from 'chdb';
import type { Logger } from '../core/logger.ts';
import { ClickHouseHttpError } from './ch-errors.ts';

/**
 * A bounded set of chDB Sessions (one per concurrently running query) on one data
 * directory. A chDB Session is a connection with its own settings; it runs one query at a
 * time, while queries on different Sessions run in parallel. So the number of slots is
 * the number of queries this role may run at once; further requests wait in a FIFO
 * queue, and past `maxQueued` get TOO_MANY_SIMULTANEOUS_QUERIES like a busy server.
 *
 * Two ways to run in a slot:
 * - pooled: a long-lived Session initialised once with `initSql` (e.g. `SET readonly = 1`).
 *   Only statements that leave no state behind may run there (no SET, USE, params,
 *   temporary tables): settings on a chDB Session are sticky.
 * - fresh: a new Session for this one request, closed afterwards. The caller prefixes
 *   its SQL with whatever per-request state it needs.
 *
 * Measured (chDB 26.7, 2 noisy cores, 500 runs × 3, in process):
 *   pooled `SELECT 1`                                          ≈ 0.6 ms
 *   pooled `SET a; SET b; SELECT 1` + reset call (`SET a = DEFAULT, b = DEFAULT`)
 *                                                              ≈ 1.0 ms
 *   fresh Session: open + server-parity SETs + `SET a; SET b; SELECT 1` + close
 *                                                              ≈ 1.3 ms
 * (end to end over HTTP: ≈1.4 ms pooled vs ≈2.2 ms fresh per request with fetch).
 * Resetting is ~0.3 ms cheaper, but cannot undo everything a request may leave on a
 * Session: a query parameter cannot be unset (`SET param_x = DEFAULT` binds the text
 * 'DEFAULT'), nor can `USE db` or a temporary table be reset by a setting. So requests
 * with any such state take a fresh Session; plain ones take a pooled one.
 * A fresh Session is cheap only while another Session keeps the engine open (the HTTP
 * interface holds an anchor Session): reopening the engine after the last Session
 * closed costs ~20 ms, and the first open of a data directory ~60–100 ms.
 */
export interface SessionPoolOptions {
  dataDir: string;
  /** For logs: 'service' or 'analyst'. */
  name: string;
  /** Maximum Sessions, i.e. queries of this role running at once. */
  size: number;
  /** Requests allowed to wait for a slot before TOO_MANY_SIMULTANEOUS_QUERIES. */
  maxQueued: number;
  /** Run once on each pooled Session when it is opened. */
  initSql: string;
  log: Logger;
}

export class SessionPool {
  readonly #opts: SessionPoolOptions;
  readonly #idle: Session[] = [];
  readonly #all = new Set<Session>();
  readonly #waiters: Array<(granted: boolean) => void> = [];
  #active = 0;
  #closed = false;

  constructor(opts: SessionPoolOptions) {
    if (opts.size < 1) throw new RangeError('SessionPool size must be >= 1');
    this.#opts = opts;
  }

  /** Queries running and waiting, for diagnostics. */
  get stats(): { active: number; queued: number; sessions: number } {
    return { active: this.#active, queued: this.#waiters.length, sessions: this.#all.size };
  }

  /** Runs `fn` on a pooled Session (`fresh: false`) or on a new one closed afterwards. */
  async run<T>(fresh: boolean, fn: (session: Session) => Promise<T>): Promise<T> {
    await this.#acquireSlot();
    try {
      if (fresh) {
        const session = this.#open();
        try {
          return await fn(session);
        } finally {
          session.close(); // deferred by chDB until a still-running native call drains
        }
      }
      const session = await this.#take();
      try {
        return await fn(session);
      } finally {
        if (this.#closed) session.close();
        else this.#idle.push(session);
      }
    } finally {
      this.#releaseSlot();
    }
  }

  /** Closes idle Sessions and refuses new work; Sessions still in use close when released. */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake(false);
    for (const s of this.#idle.splice(0)) {
      this.#all.delete(s);
      s.close();
    }
  }

  #open(): Session {
    if (this.#closed) throw ClickHouseHttpError.of('TOO_MANY_SIMULTANEOUS_QUERIES', 'The server is shutting down');
    return new Session(this.#opts.dataDir);
  }

  async #take(): Promise<Session> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const session = this.#open();
    try {
      if (this.#opts.initSql) await session.queryAsync(this.#opts.initSql, { format: 'TabSeparated' });
    } catch (err) {
      session.close();
      throw err;
    }
    this.#all.add(session);
    this.#opts.log.debug({ pool: this.#opts.name, sessions: this.#all.size }, 'opened a chDB session');
    return session;
  }

  async #acquireSlot(): Promise<void> {
    if (this.#closed) throw ClickHouseHttpError.of('TOO_MANY_SIMULTANEOUS_QUERIES', 'The server is shutting down');
    if (this.#active < this.#opts.size) {
      this.#active++;
      return;
    }
    if (this.#waiters.length >= this.#opts.maxQueued) {
      throw ClickHouseHttpError.of(
        'TOO_MANY_SIMULTANEOUS_QUERIES',
        `Too many simultaneous queries for ${this.#opts.name} users. Maximum: ${this.#opts.size} running and ${this.#opts.maxQueued} queued`,
      );
    }
    const granted = await new Promise<boolean>((resolve) => this.#waiters.push(resolve));
    // granted: the slot was handed over by #releaseSlot and #active already counts it
    if (!granted) throw ClickHouseHttpError.of('TOO_MANY_SIMULTANEOUS_QUERIES', 'The server is shutting down');
  }

  #releaseSlot(): void {
    const next = this.#waiters.shift();
    if (next) next(true);
    else this.#active--;
  }
}
