/**
 * Authentication, scope checks and per-key rate limits for a fastify app, as one
 * root-level onRequest hook (installed by createHttpApp before any route or child
 * context exists, so every route inherits it; /healthz and /readyz are skipped).
 *
 * Per request: find the presented key (Authorization: Bearer <key>, or X-API-Key),
 * rate-limit by key name (by client IP when no valid key), then answer 401/403 if the
 * key is missing, unknown or lacks the route's scope. Keys are never logged or echoed.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpErrors, sendHttpError } from '../http-errors.ts';
import type { Logger } from '../logger.ts';
import { hasScope, type ApiKeyIdentity, type ApiKeyStore } from './keys.ts';
import { requiredAccess } from './route-scopes.ts';

export interface HttpAuthOptions {
  /** Registered keys; with none, every request is let in (rate limits still apply, by IP). */
  keys: ApiKeyStore;
  /** Requests per minute per key (per client IP without a key); 0 turns limiting off. */
  rateLimitPerMinute: number;
}

const identities = new WeakMap<FastifyRequest, ApiKeyIdentity>();

/** The key a request authenticated with (its name and scopes), if any. */
export function apiKeyOf(request: FastifyRequest): ApiKeyIdentity | undefined {
  return identities.get(request);
}

type Presented = { key: string } | { problem: string } | null;

/** The key in the request's headers; a problem when a header is there but unusable. */
export function presentedKey(headers: FastifyRequest['headers']): Presented {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.trim() !== '') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization.trim());
    if (m) return { key: m[1] };
    return { problem: 'unsupported Authorization header: send Authorization: Bearer <key>' };
  }
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return { key: header.trim() };
  if (Array.isArray(header)) return { problem: 'send one X-API-Key header' };
  return null;
}

export function installHttpAuth(app: FastifyInstance, options: HttpAuthOptions, log: Logger): void {
  const { keys, rateLimitPerMinute } = options;
  const enforcing = keys.size > 0;
  const limiting = rateLimitPerMinute > 0;
  if (limiting) {
    app.register(rateLimit, {
      global: false, // applied by the hook below, not per route
      max: rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => {
        const identity = identities.get(request);
        return identity ? `key:${identity.name}` : `ip:${request.ip}`;
      },
    });
  }
  // Made on first use: `createRateLimit` exists once the plugin above has loaded (before ready).
  let limiter: ReturnType<FastifyInstance['createRateLimit']> | undefined;

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = requiredAccess(request.method, request.is404 ? undefined : request.routeOptions.url);
    if (access === 'open') return;

    const presented = presentedKey(request.headers);
    const identity = enforcing && presented && 'key' in presented ? keys.authenticate(presented.key) : null;
    if (identity) identities.set(request, identity);

    if (limiting) {
      limiter ??= app.createRateLimit();
      const r = await limiter(request);
      if (!r.isAllowed) {
        reply.header('x-ratelimit-limit', r.max);
        reply.header('x-ratelimit-remaining', r.remaining);
        reply.header('x-ratelimit-reset', r.ttlInSeconds);
        if (r.isExceeded) {
          reply.header('retry-after', r.ttlInSeconds);
          const who = identity ? `API key "${identity.name}"` : 'this client';
          return sendHttpError(reply, HttpErrors.RATE_LIMITED, `${who} exceeded ${r.max} requests per minute; retry in ${r.ttlInSeconds} s`);
        }
      }
    }

    if (!enforcing) return;
    if (!identity) {
      const message = presented === null ? 'missing API key: send Authorization: Bearer <key>' : 'problem' in presented ? presented.problem : 'invalid API key';
      request.log.debug({ method: request.method, route: request.routeOptions.url, reason: message }, 'request not authenticated');
      reply.header('www-authenticate', 'Bearer');
      return sendHttpError(reply, HttpErrors.UNAUTHORIZED, message);
    }
    if (access !== 'authenticated' && !hasScope(identity, access)) {
      log.warn({ key: identity.name, scope: access, method: request.method, route: request.routeOptions.url }, 'request forbidden: key lacks scope');
      return sendHttpError(reply, HttpErrors.FORBIDDEN, `key "${identity.name}" lacks scope "${access}"`);
    }
  });
}
