import type { Scope } from './keys.ts';

/**
 * Which scope each route needs. Matching is on the route's pattern (fastify's
 * `routeOptions.url`, e.g. `/v1/traces/:trace_id`), never on the raw URL, so query
 * strings, encodings and trailing tricks cannot change the answer.
 *
 * - `open`: no key needed (health probes).
 * - `authenticated`: any valid key (no route matched: a key holder gets the 404, others a 401).
 * - a scope: a key with that scope, or `admin`.
 * A route that is in no rule needs `admin`: new routes are closed until they are listed.
 */
export type Access = Scope | 'open' | 'authenticated';

interface Rule {
  methods: readonly string[];
  /** Exact pattern, or `prefix/*` for everything below prefix. */
  path: string;
  access: Access;
}

export const ROUTE_ACCESS: readonly Rule[] = [
  { methods: ['GET', 'HEAD'], path: '/healthz', access: 'open' },
  { methods: ['GET', 'HEAD'], path: '/readyz', access: 'open' },
  { methods: ['POST'], path: '/v1/traces', access: 'ingest' },
  { methods: ['POST'], path: '/v1/feedback', access: 'ingest' },
  { methods: ['POST'], path: '/otlp/v1/traces', access: 'ingest' },
  { methods: ['GET', 'HEAD'], path: '/v1/metrics/*', access: 'query' },
  { methods: ['GET', 'HEAD'], path: '/v1/quality/*', access: 'query' },
  { methods: ['GET', 'HEAD'], path: '/v1/traces/*', access: 'query' },
  { methods: ['GET', 'HEAD'], path: '/v1/sessions/*', access: 'query' },
  { methods: ['GET', 'HEAD'], path: '/v1/models/*', access: 'query' },
  { methods: ['GET', 'HEAD'], path: '/v1/alerts', access: 'query' },
  { methods: ['GET', 'HEAD'], path: '/v1/silences', access: 'query' },
  { methods: ['POST'], path: '/v1/silences', access: 'admin' },
  { methods: ['DELETE'], path: '/v1/silences/*', access: 'admin' },
];

export function requiredAccess(method: string, routePattern: string | undefined): Access {
  if (routePattern === undefined || routePattern === '*' || routePattern === '/*') return 'authenticated';
  for (const rule of ROUTE_ACCESS) {
    if (!rule.methods.includes(method)) continue;
    const matches = rule.path.endsWith('/*') ? routePattern.startsWith(rule.path.slice(0, -1)) : routePattern === rule.path;
    if (matches) return rule.access;
  }
  return 'admin';
}
