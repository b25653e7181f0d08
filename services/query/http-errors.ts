/**
 * Every error the query API answers with, in one table. Bodies never carry SQL, stack
 * traces or ClickHouse messages: those go to the log only.
 */
import { isRetryable } from '../core/errors.ts';

export const QueryErrors = {
  BAD_REQUEST: { status: 400, error: 'bad_request' },
  NOT_FOUND: { status: 404, error: 'not_found' },
  INTERNAL: { status: 500, error: 'internal' },
  STORE_UNAVAILABLE: { status: 503, error: 'store_unavailable' },
} as const;

export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorBody {
  error: string;
  message: string;
  fields?: FieldError[];
}

export class HttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  constructor(kind: { status: number; error: string }, message: string, fields?: FieldError[]) {
    super(message);
    this.name = 'HttpError';
    this.status = kind.status;
    this.body = fields ? { error: kind.error, message, fields } : { error: kind.error, message };
  }
}

export function badRequest(fields: FieldError[]): HttpError {
  const message = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  return new HttpError(QueryErrors.BAD_REQUEST, message, fields);
}

export function notFound(message: string): HttpError {
  return new HttpError(QueryErrors.NOT_FOUND, message);
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

/** Maps anything thrown while answering to a status and a body safe to send. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const fastifyStatus = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    // fastify's own request errors (bad URL encoding, …): its messages carry no SQL.
    return new HttpError({ status: fastifyStatus, error: QueryErrors.BAD_REQUEST.error }, (err as Error).message || 'bad request', []);
  }
  if (isStoreUnavailable(err)) {
    return new HttpError(QueryErrors.STORE_UNAVAILABLE, 'the store is unavailable; retry later');
  }
  return new HttpError(QueryErrors.INTERNAL, 'the query failed; see the server log');
}
