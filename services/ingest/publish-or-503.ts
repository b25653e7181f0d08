import type { FastifyReply } from 'fastify';
import type { EventBus, OutgoingMessage } from '../core/bus/event-bus.ts';
import { HttpErrors, sendHttpError } from '../core/http-errors.ts';
import type { Logger } from '../core/logger.ts';

/** Seconds a client is asked to wait (Retry-After) after a 503. */
export const RETRY_AFTER_SECONDS = '5';

export interface PublishOr503Options {
  bus: EventBus;
  topic: string;
  messages: OutgoingMessage[];
  /** Past this without an acknowledgement from the bus, the publish counts as failed. */
  ackTimeoutMs: number;
  log: Logger;
  /** Log field holding the number of messages, e.g. 'events' or 'scores'. */
  countField: string;
  /** The 503 body's message. */
  message: string;
}

/**
 * Publish `messages` and wait for the bus to take them, at most `ackTimeoutMs`. On failure
 * or timeout, log it and answer 503 + Retry-After with {error: 'unavailable', message}.
 * True when published; false when the 503 has been sent (the handler then returns `reply`).
 */
export async function publishOr503(reply: FastifyReply, opts: PublishOr503Options): Promise<boolean> {
  try {
    await withTimeout(opts.bus.publish(opts.topic, opts.messages), opts.ackTimeoutMs);
    return true;
  } catch (err) {
    opts.log.warn({ err: (err as Error).message, [opts.countField]: opts.messages.length }, 'publish failed; answering 503');
    sendHttpError(reply.header('retry-after', RETRY_AFTER_SECONDS), HttpErrors.UNAVAILABLE, opts.message);
    return false;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
