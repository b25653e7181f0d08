/**
 * Every error our HTTP APIs answer with, in one table: its status and the `error` code of
 * the JSON body `{ error, message, … }`. Bodies never carry SQL, stack traces or store
 * messages: those go to the log only. (The ClickHouse-compatible server answers in
 * ClickHouse's own format: see services/clickhouse-http/ch-errors.ts.)
 */
import type { FastifyReply } from 'fastify';
import { isRetryable } from './errors.ts';
import type { FieldError } from './schema/field-errors.ts';

export const HttpErrors = {
  /** Also sent, with fastify's own 4xx status, for request errors fastify found itself. */
  BAD_REQUEST: { status: 400, error: 'bad_request' },
  UNAUTHORIZED: { status: 401, error: 'unauthorized' },
  FORBIDDEN: { status: 403, error: 'forbidden' },
  NOT_FOUND: { status: 404, error: 'not_found' },
  PAYLOAD_TOO_LARGE: { status: 413, error: 'payload_too_large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, error: 'unsupported_media_type' },
  RATE_LIMITED: { status: 429, error: 'rate_limited' },
  INTERNAL: { status: 500, error: 'internal' },
  /** The bus did not take what was sent (ingest); with Retry-After. */
  UNAVAILABLE: { status: 503, error: 'unavailable' },
  /** Ingest holds as much as it may for clients still waiting (admission bounds); with Retry-After. */
  OVERLOADED: { status: 503, error: 'overloaded' },
  /** The store's disk is full: nothing more can be stored until space returns (embedded ingest); with Retry-After. */
  STORAGE_FULL: { status: 503, error: 'storage_full' },
  /** The store did not answer (query API). */
  STORE_UNAVAILABLE: { status: 503, error: 'store_unavailable' },
} as const;

export interface HttpErrorKind {
  readonly status: number;
  readonly error: string;
}

export interface ErrorBody {
  error: string;
  message: string;
  fields?: FieldError[];
}

/** The body `{ error, message, …extra }` (keys in that order). */
export function httpErrorBody<E extends object = object>(kind: HttpErrorKind, message: string, extra?: E): ErrorBody & E {
  return { error: kind.error, message, ...extra } as ErrorBody & E;
}

/** Answers `kind`'s status with `httpErrorBody(kind, message, extra)`. */
export function sendHttpError(reply: FastifyReply, kind: HttpErrorKind, message: string, extra?: object): FastifyReply {
  return reply.code(kind.status).send(httpErrorBody(kind, message, extra));
}

/** An error a handler throws to answer with `status` and `body` (an error handler sends them). */
export class HttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  constructor(kind: HttpErrorKind, message: string, fields?: FieldError[]) {
    super(message);
    this.name = 'HttpError';
    this.status = kind.status;
    this.body = fields ? httpErrorBody(kind, message, { fields }) : httpErrorBody(kind, message);
  }
}

const TRANSIENT_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** A StoreError (or any PipelineError) says whether a retry can help; a bare socket error
 * from a store that forgot to wrap it is treated as transient too. */
export function isStoreUnavailable(err: unknown): boolean {
  if (isRetryable(err)) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { retryable?: unknown; code?: unknown; cause?: unknown };
  if (e.retryable === true) return true;
  if (typeof e.code === 'string' && TRANSIENT_NET_CODES.has(e.code)) return true;
  return false;
}
