import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { HttpErrors, sendHttpError } from '../core/http-errors.ts';
import type { Logger } from '../core/logger.ts';
import type { WriteSpace } from '../core/store/write-space.ts';
import type { Admission, AdmissionTicket } from './admission.ts';

/** Seconds an overloaded ingest asks a client to wait: short, the backlog drains in about that. */
export const OVERLOADED_RETRY_AFTER_SECONDS = '1';

const tickets = new WeakMap<FastifyRequest, AdmissionTicket>();

/** The admitted request's ticket (none on a route without admission). */
export function ticketOf(request: FastifyRequest): AdmissionTicket | undefined {
  return tickets.get(request);
}

/** Seconds a client is asked to wait while the store's disk is full: space seldom returns within a second. */
export const STORAGE_FULL_RETRY_AFTER_SECONDS = '10';

/** Answers 503 `overloaded` + Retry-After, saying which bound was reached. */
export function sendOverloaded(reply: FastifyReply, admission: Admission): FastifyReply {
  return sendHttpError(reply.header('retry-after', OVERLOADED_RETRY_AFTER_SECONDS), HttpErrors.OVERLOADED, `ingest is overloaded: ${admission.describe()}; retry after ${OVERLOADED_RETRY_AFTER_SECONDS} s`);
}

/**
 * Route hooks that put a route behind `admission`: a request beyond its bounds is answered
 * 503 `overloaded` + `Retry-After` from its headers, before its body is parsed (Node
 * discards the unread body, so the connection stays usable for the retry); an admitted one
 * is counted until it is answered or its client goes away. With `space` (the embedded
 * pipeline's store), a request that arrives while the store's disk is full is answered
 * 503 `storage_full` the same way: nothing of it was stored, and it would only wait out
 * the acknowledgement timeout.
 */
export function admissionHooks(admission: Admission, log: Logger, space?: WriteSpace): Pick<RouteShorthandOptions, 'onRequest' | 'onResponse' | 'onRequestAbort'> {
  let lastWarnAt = 0;
  let lastFullWarnAt = 0;
  const leave = (request: FastifyRequest) => {
    tickets.get(request)?.done();
    tickets.delete(request);
  };
  return {
    onRequest(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
      const full = space?.outOfSpace();
      if (full) {
        const now = Date.now();
        if (now - lastFullWarnAt >= 10_000) {
          lastFullWarnAt = now;
          log.warn({ since: new Date(full.since).toISOString(), err: full.message }, 'store is out of disk space, answering 503 storage_full');
        }
        const secs = Math.round((Date.now() - full.since) / 1000);
        sendHttpError(
          reply.header('retry-after', STORAGE_FULL_RETRY_AFTER_SECONDS),
          HttpErrors.STORAGE_FULL,
          `the store's disk is full (for ${secs} s; ClickHouse: ${full.message.slice(0, 300)}); nothing from this request was stored; free space under DATA_DIR, then retry after ${STORAGE_FULL_RETRY_AFTER_SECONDS} s`,
        );
        return;
      }
      const ticket = admission.tryEnter(Number(request.headers['content-length']) || 0);
      if (ticket) {
        tickets.set(request, ticket);
        return done();
      }
      const now = Date.now();
      if (now - lastWarnAt >= 10_000) {
        lastWarnAt = now;
        log.warn({ ...admission.counters() }, `ingest overloaded, answering 503: ${admission.describe()}`);
      }
      sendOverloaded(reply, admission);
    },
    onResponse(request: FastifyRequest, _reply: FastifyReply, done: () => void) {
      leave(request);
      done();
    },
    onRequestAbort(request: FastifyRequest, done: () => void) {
      leave(request);
      done();
    },
  };
}
