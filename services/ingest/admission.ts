/**
 * Admission control at ingest: how much the pipeline holds on behalf of clients that have
 * not had their answer yet. Under overload (clients sending faster than the pipeline
 * stores), every accepted request adds events the bus and the writer must hold until they
 * are stored; without a bound, memory grows until the process dies and every client times
 * out. With it, a request beyond the bound is answered at once, before its body is read,
 * with 503 `overloaded` + `Retry-After`, and what was admitted is stored and acknowledged
 * at the pipeline's own pace.
 *
 * Two bounds:
 * - `maxPendingEvents`: events handed to the bus whose publish has not settled. A publish
 *   that outlived its ack timeout (the client got 503) still counts until it settles: its
 *   events are still held. Checked when a request comes in and again, with its events
 *   counted, before its publish: held events never exceed the bound (save one request
 *   larger than the bound, let through when nothing else is held so it is not refused forever).
 * - `maxRequests`: requests admitted and not yet answered (bounds bodies being received and
 *   parsed, which are not events yet).
 */
export interface AdmissionLimits {
  maxPendingEvents: number;
  maxRequests: number;
}

export interface AdmissionCounters {
  pendingEvents: number;
  requests: number;
  /** Requests refused because a bound was reached, since start. */
  refused: number;
}

export interface Admission {
  /** Whether a new request may come in; counts it when it may (pair with `done()`). */
  tryEnter(): boolean;
  /** The admitted request was answered. */
  done(): void;
  /**
   * Counts `events` as held before they are handed to the bus, or refuses (null) when that
   * would pass the bound; the returned function releases them when the publish settles.
   */
  hold(events: number): (() => void) | null;
  /** Why the last refusal happened, for the 503's message. */
  describe(): string;
  counters(): AdmissionCounters;
}

export function createAdmission(limits: AdmissionLimits): Admission {
  let pendingEvents = 0;
  let requests = 0;
  let refused = 0;
  let lastReason = '';
  const eventsReason = () => `${pendingEvents} events are waiting to be stored (INGEST_MAX_PENDING_EVENTS ${limits.maxPendingEvents})`;
  return {
    tryEnter() {
      if (pendingEvents >= limits.maxPendingEvents || requests >= limits.maxRequests) {
        refused++;
        lastReason = pendingEvents >= limits.maxPendingEvents ? eventsReason() : `${requests} requests are in progress (INGEST_MAX_CONCURRENT_REQUESTS ${limits.maxRequests})`;
        return false;
      }
      requests++;
      return true;
    },
    done() {
      requests = Math.max(0, requests - 1);
    },
    hold(events) {
      if (pendingEvents > 0 && pendingEvents + events > limits.maxPendingEvents) {
        refused++;
        lastReason = `${eventsReason()}, and this request brings ${events} more`;
        return null;
      }
      pendingEvents += events;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        pendingEvents -= events;
      };
    },
    describe: () => lastReason,
    counters: () => ({ pendingEvents, requests, refused }),
  };
}
