import type { FastifyReply } from 'fastify';
import type { EventBus, OutgoingMessage } from '../core/bus/event-bus.ts';
import { HttpErrors, sendHttpError } from '../core/http-errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Admission } from './admission.ts';
import { sendOverloaded, ticketOf } from './admission-hooks.ts';

/** Seconds a client is asked to wait (Retry-After) after a 503. */
export const RETRY_AFTER_SECONDS = '5';

/** Where a route publishes: its topic on the bus, and how long it waits for the bus to take a batch. */
export interface PublishTarget {
  bus: EventBus;
  topic: string;
  /** Past this without an acknowledgement from the bus, the publish counts as failed. */
  ackTimeoutMs: number;
  /** Counts the published events as held until the publish settles (even past the ack timeout). */
  admission?: Admission;
}

export interface PublishBatch {
  messages: OutgoingMessage[];
  log: Logger;
  /** Log field holding the number of messages, e.g. 'events' or 'scores'. */
  countField: string;
  /** The 503 body's message. */
  message: string;
}

/**
 * Publish `batch.messages` to `target` and wait for the bus to take them, at most
 * `ackTimeoutMs`. On failure or timeout, log it and answer 503 + Retry-After with
 * {error: 'unavailable', message}. True when published; false when the 503 has been sent
 * (the handler then returns `reply`).
 */
export async function publishOr503(reply: FastifyReply, target: PublishTarget, batch: PublishBatch): Promise<boolean> {
  const ticket = target.admission ? ticketOf(reply.request) : undefined;
  const release = ticket?.hold(batch.messages.length);
  if (release === null) {
    sendOverloaded(reply, target.admission!);
    return false;
  }
  const publishing = target.bus.publish(target.topic, batch.messages);
  if (release) publishing.then(release, release);
  try {
    await withTimeout(publishing, target.ackTimeoutMs);
    return true;
  } catch (err) {
    batch.log.warn({ err: (err as Error).message, [batch.countField]: batch.messages.length }, 'publish failed; answering 503');
    sendHttpError(reply.header('retry-after', RETRY_AFTER_SECONDS), HttpErrors.UNAVAILABLE, batch.message);
    return false;
  }
}

/** `p`, or a rejection naming the wait when it takes longer than `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
