/**
 * The query service's own fastify app (distributed mode): the query routes plus
 * /healthz (the process is alive) and /readyz (503 until `ready()` and store.ping()).
 * Building is separate from listening so tests use inject().
 */
import type { FastifyInstance } from 'fastify';
import type { HttpAuthOptions } from '../core/auth/http-auth.ts';
import { registerHealthRoutes } from '../core/health.ts';
import { createHttpApp } from '../core/http-app.ts';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { registerQueryRoutes, type QueryRoutesOptions } from './routes.ts';

export interface QueryAppDeps extends Omit<QueryRoutesOptions, 'store' | 'log'> {
  store: Store;
  log: Logger;
  /** False until startup finished and again once shutdown began (SIGTERM marks not-ready first). */
  ready: () => boolean;
  /** How long /readyz waits for store.ping(). Default 2000 ms. */
  pingTimeoutMs?: number;
  /** API keys and rate limits (services/core/auth); omitted: open, unlimited (tests). */
  auth?: HttpAuthOptions;
}

/** The API only takes GETs; a small body limit is enough. */
const BODY_LIMIT_BYTES = 64 * 1024;

export function buildQueryApp(deps: QueryAppDeps): FastifyInstance {
  const { store, log, ready, pingTimeoutMs = 2_000, auth, ...routeOptions } = deps;
  const app = createHttpApp({ log, bodyLimit: BODY_LIMIT_BYTES, auth });
  registerHealthRoutes(app, [ready, () => pingWithin(store, pingTimeoutMs)]);
  registerQueryRoutes(app, { store, log, ...routeOptions });
  return app;
}

/** A hung store must not hang the probe: no answer in time counts as not ready. */
async function pingWithin(store: Store, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([store.ping().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
