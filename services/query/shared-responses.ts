/**
 * Dashboards put the same question to the API many times at once (one dashboard open on
 * many screens, panels refreshing together). A request arriving while the identical one
 * (same route, same resolved parameters) is being answered gets that answer: one engine
 * query and one JSON serialization for all of them, instead of each waiting its turn on
 * the engine. Nothing is kept once the answer has gone out: a joined answer is at most
 * one query's duration older than its request, and the next request runs anew. A failure
 * is every joiner's failure (each gets its own error response).
 */
import type { FastifyReply } from 'fastify';

/** An answer already serialised (e.g. assembled from the engine's JSON lines): sent as is. */
export class JsonText {
  constructor(readonly text: string) {}
}

export interface SharedResponses {
  /** Sends `build()`'s result as JSON (a JsonText as it is), sharing it with concurrent requests of the same `key`. */
  send(reply: FastifyReply, key: string, build: () => Promise<unknown>): Promise<FastifyReply>;
  /** Answers being computed now (for tests and metrics). */
  inFlight(): number;
}

export function createSharedResponses(): SharedResponses {
  const running = new Map<string, Promise<string>>();
  return {
    async send(reply, key, build) {
      let body = running.get(key);
      if (body === undefined) {
        const p = build().then((value) => (value instanceof JsonText ? value.text : JSON.stringify(value)));
        running.set(key, p);
        const done = () => {
          if (running.get(key) === p) running.delete(key);
        };
        p.then(done, done);
        body = p;
      }
      return reply.type('application/json; charset=utf-8').send(await body);
    },
    inFlight: () => running.size,
  };
}
