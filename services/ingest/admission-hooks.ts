import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { HttpErrors, sendHttpError } from '../core/http-errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Admission } from './admission.ts';

/** Seconds an overloaded ingest asks a client to wait: short, the backlog drains in about that. */
export const OVERLOADED_RETRY_AFTER_SECONDS = '1';

const admitted = new WeakSet<FastifyRequest>();

/**
 * Route hooks that put a route behind `admission`: a request beyond its bounds is answered
 * 503 `overloaded` + `Retry-After` before its body is read; an admitted one is counted
 * until it is answered or the client goes away.
 */
export function admissionHooks(admission: Admission, log: Logger): Pick<RouteShorthandOptions, 'onRequest' | 'onResponse' | 'onRequestAbort'> {
  let lastWarnAt = 0;
  function leave(request: FastifyRequest): void {
    if (admitted.delete(request)) admission.done();
  }
  return {
    onRequest(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
      if (admission.tryEnter()) {
        admitted.add(request);
        return done();
      }
      const now = Date.now();
      if (now - lastWarnAt >= 10_000) {
        lastWarnAt = now;
        log.warn({ ...admission.counters() }, `ingest overloaded, answering 503: ${admission.describe()}`);
      }
      // Close the connection: its unread body is not worth reading on an overloaded server.
      reply.header('retry-after', OVERLOADED_RETRY_AFTER_SECONDS).header('connection', 'close');
      sendHttpError(reply, HttpErrors.OVERLOADED, `ingest is overloaded: ${admission.describe()}; retry after ${OVERLOADED_RETRY_AFTER_SECONDS} s`);
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
