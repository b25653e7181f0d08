import type { FastifyInstance } from 'fastify';
import { eventLoopDelay } from './event-loop-delay.ts';

/**
 * /healthz: the process is alive, with how late its event loop ran over the last minute
 * (`event_loop_delay`, see event-loop-delay.ts). /readyz: 503 until every check passes (and from the
 * moment shutdown starts), so a load balancer stops sending traffic before we drain.
 */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export function registerHealthRoutes(app: FastifyInstance, checks: ReadinessCheck[]): void {
  const delay = eventLoopDelay();
  app.get('/healthz', async () => ({ status: 'ok', event_loop_delay: delay() }));
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
