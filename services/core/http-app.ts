import Fastify, { type FastifyInstance } from 'fastify';
import { installHttpAuth, type HttpAuthOptions } from './auth/http-auth.ts';
import { HttpErrors, sendHttpError } from './http-errors.ts';
import { REDACT_PATHS, type Logger } from './logger.ts';

/**
 * A fastify app with the project's error shape: every error is JSON
 * `{ error, message }`; malformed JSON is a 400, an oversize body a 413.
 * Building is separate from listening, so tests use `app.inject()`.
 */
export function createHttpApp(options: { log: Logger; bodyLimit: number; auth?: HttpAuthOptions }): FastifyInstance {
  // Per-request "incoming request" lines are info level; at our rates they are noise, so
  // the HTTP layer logs warnings and errors only (or less, when the caller's logger is
  // quieter). Request headers carry API keys: redacted here too, whatever logger the caller passed.
  const level = options.log.levelVal > 40 ? options.log.level : 'warn';
  const httpLog = options.log.child({ component: 'http' }, { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
  const app = Fastify({
    loggerInstance: httpLog,
    bodyLimit: options.bodyLimit,
    // trace_id is at most 128 characters; give it room so a long one gets our 400/404.
    routerOptions: { maxParamLength: 512 },
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413) return sendHttpError(reply, HttpErrors.PAYLOAD_TOO_LARGE, `body larger than ${options.bodyLimit} bytes`);
    // A body that is not JSON is a 400 whatever its Content-Type says.
    if (status === 415) return sendHttpError(reply, HttpErrors.BAD_REQUEST, 'the body must be JSON (Content-Type: application/json)');
    // fastify's other request errors keep their 4xx status.
    if (status >= 400 && status < 500) return sendHttpError(reply, { ...HttpErrors.BAD_REQUEST, status }, err.message);
    options.log.error({ err }, 'request failed');
    return sendHttpError(reply, HttpErrors.INTERNAL, 'internal error');
  });
  app.setNotFoundHandler((request, reply) => sendHttpError(reply, HttpErrors.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}`));
  // Before any route or child context, so all of them inherit the hook (see auth/http-auth.ts).
  if (options.auth) installHttpAuth(app as unknown as FastifyInstance, options.auth, httpLog);
  return app as unknown as FastifyInstance;
}
