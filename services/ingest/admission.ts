/**
 * Admission control at ingest: how much the pipeline holds on behalf of clients that have
 * not had their answer yet. Under overload (clients sending faster than the pipeline
 * stores), every accepted request adds events the bus and the writer must hold until they
 * are stored; without a bound, memory grows until the process dies and every client times
 * out. With it, a request beyond the bound is answered at once, before its body is parsed,
 * with 503 `overloaded` + `Retry-After`, and what was admitted is stored and acknowledged
 * at the pipeline's own pace.
 *
 * Two bounds:
 * - `maxPendingEvents`: events held for waiting clients. A request coming in reserves the
 *   events its body is likely to hold (its Content-Length over the bytes per event seen so
 *   far), so requests that would pass the bound are refused before anyone reads or parses
 *   them. Once parsed, its real count replaces the estimate and is checked again: held
 *   events never exceed the bound (save one request larger than the bound, let through
 *   when nothing else is held so it is not refused forever). A publish that outlived its
 *   ack timeout (the client got 503) still counts until it settles: its events are held.
 * - `maxRequests`: requests admitted and not yet answered.
 */
export interface AdmissionLimits {
  maxPendingEvents: number;
  maxRequests: number;
}

export interface AdmissionCounters {
  /** Events handed to the bus whose publish has not settled. */
  pendingEvents: number;
  /** Events reserved by admitted requests not parsed yet (estimated). */
  reservedEvents: number;
  requests: number;
  /** Requests refused because a bound was reached, since start. */
  refused: number;
}

/** One admitted request. */
export interface AdmissionTicket {
  /**
   * Counts `events` as held before they are handed to the bus, or refuses (null) when that
   * would pass the bound; the returned function releases them when the publish settles.
   */
  hold(events: number): (() => void) | null;
  /** The request was answered (or its client went away). */
  done(): void;
}

export interface Admission {
  /** Admits a request whose body has `bodyBytes` bytes (Content-Length), or refuses (null). */
  tryEnter(bodyBytes: number): AdmissionTicket | null;
  /** Why the last refusal happened, for the 503's message. */
  describe(): string;
  counters(): AdmissionCounters;
}

/** Starting guess of bytes per event, before any request was parsed. */
const INITIAL_BYTES_PER_EVENT = 1024;

export function createAdmission(limits: AdmissionLimits): Admission {
  let pendingEvents = 0;
  let reserved = 0;
  let requests = 0;
  let refused = 0;
  let bytesPerEvent = INITIAL_BYTES_PER_EVENT;
  let lastReason = '';
  const held = () => pendingEvents + reserved;
  const eventsReason = () => `${Math.round(held())} events are waiting to be stored (INGEST_MAX_PENDING_EVENTS ${limits.maxPendingEvents})`;

  return {
    tryEnter(bodyBytes) {
      const estimate = Math.max(1, bodyBytes / bytesPerEvent);
      if (requests >= limits.maxRequests) {
        refused++;
        lastReason = `${requests} requests are in progress (INGEST_MAX_CONCURRENT_REQUESTS ${limits.maxRequests})`;
        return null;
      }
      if (held() > 0 && held() + estimate > limits.maxPendingEvents) {
        refused++;
        lastReason = eventsReason();
        return null;
      }
      requests++;
      reserved += estimate;
      let reservation = estimate;
      let finished = false;
      const unreserve = () => {
        reserved = Math.max(0, reserved - reservation);
        reservation = 0;
      };
      return {
        hold(events) {
          unreserve();
          if (events > 0 && bodyBytes > 0) bytesPerEvent = 0.8 * bytesPerEvent + 0.2 * (bodyBytes / events);
          if (held() > 0 && held() + events > limits.maxPendingEvents) {
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
        done() {
          if (finished) return;
          finished = true;
          unreserve();
          requests--;
        },
      };
    },
    describe: () => lastReason,
    counters: () => ({ pendingEvents, reservedEvents: Math.round(reserved), requests, refused }),
  };
}
