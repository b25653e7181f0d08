/**
 * The query API's own errors: a 400 naming the bad parameters, a 404, and the mapping of
 * anything thrown while answering to a body safe to send (the kinds: core/http-errors.ts).
 */
import { HttpError, HttpErrors, isStoreUnavailable } from '../core/http-errors.ts';
import { describeErrors, type FieldError } from '../core/schema/field-errors.ts';

export function badRequest(fields: FieldError[]): HttpError {
  return new HttpError(HttpErrors.BAD_REQUEST, describeErrors(fields), fields);
}

export function notFound(message: string): HttpError {
  return new HttpError(HttpErrors.NOT_FOUND, message);
}

/** Maps anything thrown while answering to a status and a body safe to send. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const fastifyStatus = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    // fastify's own request errors (bad URL encoding, …): its messages carry no SQL.
    return new HttpError({ status: fastifyStatus, error: HttpErrors.BAD_REQUEST.error }, (err as Error).message || 'bad request', []);
  }
  if (isStoreUnavailable(err)) {
    return new HttpError(HttpErrors.STORE_UNAVAILABLE, 'the store is unavailable; retry later');
  }
  return new HttpError(HttpErrors.INTERNAL, 'the query failed; see the server log');
}
