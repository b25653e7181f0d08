import type { FastifyInstance } from 'fastify';

/**
 * /healthz: the process is alive. /readyz: 503 until every check passes (and from the
 * moment shutdown starts), so a load balancer stops sending traffic before we drain.
 */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export function registerHealthRoutes(app: FastifyInstance, checks: ReadinessCheck[]): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    for (const check of checks) {
      let ok = false;
      try {
        ok = await check();
      } catch {
        ok = false;
      }
      if (!ok) return reply.code(503).send({ status: 'not_ready' });
    }
    return { status: 'ready' };
  });
}
