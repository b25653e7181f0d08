/**
 * The query API's routes, as a function that mounts them on any fastify instance (the
 * all-in-one process shares one app with ingest). They live in their own encapsulated
 * child context so their error handler never touches the host's other routes.
 * Call it before `app.ready()`/`listen()`; the routes are added when the app loads.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { notFound, toHttpError } from './http-errors.ts';
import { MAX_SESSION_TRACES, MAX_TRACE_SPANS, OPEN_RANGE, sessionTraces, traceById, unpricedModels } from './lookup-queries.ts';
import { buildSpanTree, decimalToPico, picoToDecimal } from './span-tree.ts';
import { buildBreakdownQuery, isBreakdown, resolveBreakdownRequest } from './breakdown.ts';
import { buildMetricsQuery, METRICS, metricsQueryParams, type MetricsParams, type MetricsQuery } from './metrics-query.ts';
import { parseWith, resolveMetricsRequest, resolveUnpricedRequest, sessionParamsSchema, traceParamsSchema } from './params.ts';
import { registerAlertRoutes } from './alerts-routes.ts';
import { registerQualityRoutes } from './quality-routes.ts';
import { runQuery, type QueryDef } from '../core/store/named-query.ts';
import { createSharedResponses, JsonText } from './shared-responses.ts';
import { PipelineError, ErrorCodes } from '../core/errors.ts';

export interface QueryRoutesOptions {
  store: Store;
  log: Logger;
  /** Longest from..to span of a metrics query, in days. Default 400. */
  maxRangeDays?: number;
  /** Longest span for interval=minute, in days (longer is a 400). Default 7. */
  maxMinuteRangeDays?: number;
  /** Most rows a metrics response carries; beyond it `truncated` is true. Default 10 000. */
  maxRows?: number;
}

export const QUERY_DEFAULTS = { maxRangeDays: 400, maxMinuteRangeDays: 7, maxRows: 10_000 } as const;
const MAX_UNPRICED_ROWS = 1_000;

export function registerQueryRoutes(app: FastifyInstance, opts: QueryRoutesOptions): void {
  const { store } = opts;
  const log = opts.log.child({ component: 'query' });
  const limits = {
    maxRangeDays: opts.maxRangeDays ?? QUERY_DEFAULTS.maxRangeDays,
    maxMinuteRangeDays: opts.maxMinuteRangeDays ?? QUERY_DEFAULTS.maxMinuteRangeDays,
  };
  const maxRows = opts.maxRows ?? QUERY_DEFAULTS.maxRows;
  const shared = createSharedResponses();

  async function run<P extends z.ZodType, R extends z.ZodType>(def: QueryDef<P, R>, params: z.input<P>) {
    const started = performance.now();
    try {
      return await runQuery(store, def, params);
    } finally {
      log.debug({ query: def.name, ms: Math.round(performance.now() - started) }, 'query ran');
    }
  }

  /** A metrics question: the engine's JSON lines (the API's rows) and whether more than maxRows came. */
  async function metricsRows(def: MetricsQuery, params: MetricsParams): Promise<{ rows: string[]; truncated: boolean }> {
    const started = performance.now();
    const bound = def.params.safeParse(params);
    if (!bound.success) throw new PipelineError(ErrorCodes.STORE_QUERY_FAILED, `query ${def.name}: invalid parameters`, { cause: bound.error });
    try {
      const text = await store.queryJsonLines(def.query, bound.data);
      const rows = text.split('\n').filter((line) => line !== '');
      const truncated = rows.length > maxRows;
      if (truncated) rows.length = maxRows;
      return { rows, truncated };
    } finally {
      log.debug({ query: def.name, ms: Math.round(performance.now() - started) }, 'query ran');
    }
  }

  app.register(async (scope) => {
    scope.setErrorHandler((err, req, reply) => {
      const httpErr = toHttpError(err);
      if (httpErr.status >= 500) log.error({ err, route: req.routeOptions.url }, 'query request failed');
      return reply.status(httpErr.status).send(httpErr.body);
    });

    for (const metric of METRICS) {
      scope.get(`/v1/metrics/${metric}`, async (req, reply) => {
        const query = (req.query ?? {}) as Record<string, unknown>;
        if (isBreakdown(query)) {
          const b = resolveBreakdownRequest(metric, query);
          return shared.send(reply, `${metric} breakdown ${JSON.stringify(b)}`, async () => {
            const def = buildBreakdownQuery(metric, b, maxRows);
            const started = performance.now();
            const text = await store.queryJsonLines(def.query, def.params);
            log.debug({ query: def.name, ms: Math.round(performance.now() - started) }, 'query ran');
            const rows = text.split('\n').filter((line) => line !== '');
            const cap = Math.min(b.limit, maxRows);
            const truncated = rows.length > cap;
            if (truncated) rows.length = cap;
            const head = JSON.stringify({
              from: new Date(b.fromMs).toISOString(),
              to: new Date(b.toMs).toISOString(),
              interval: 'none',
              resolution: 'span',
              group_by: b.groupBy,
              filters: b.filters,
              order: b.order,
              limit: b.limit,
              truncated,
            });
            return new JsonText(`${head.slice(0, -1)},"rows":[${rows.join(',')}]}`);
          });
        }
        const r = resolveMetricsRequest(req.query, limits);
        return shared.send(reply, `${metric} ${JSON.stringify(r)}`, async () => {
          const def = buildMetricsQuery(metric, r);
          const { rows, truncated } = await metricsRows(def, metricsQueryParams(r, maxRows + 1));
          const head = JSON.stringify({
            from: new Date(r.fromMs).toISOString(),
            to: new Date(r.toMs).toISOString(),
            interval: r.interval,
            resolution: def.source.resolution,
            group_by: r.groupBy,
            filters: r.filters,
            truncated,
          });
          return new JsonText(`${head.slice(0, -1)},"rows":[${rows.join(',')}]}`);
        });
      });
    }

    registerQualityRoutes(scope, { run, limits, maxRows, shared });
    registerAlertRoutes(scope, { store });

    scope.get('/v1/traces/:trace_id', async (req) => {
      const { trace_id } = parseWith(traceParamsSchema, req.params);
      const rows = await run(traceById, { trace_id, limit: MAX_TRACE_SPANS + 1 });
      if (rows.length === 0) {
        throw notFound(`no trace with trace_id ${JSON.stringify(trace_id)} (not written yet, or past retention)`);
      }
      const truncated = rows.length > MAX_TRACE_SPANS;
      const { roots, totals } = buildSpanTree(truncated ? rows.slice(0, MAX_TRACE_SPANS) : rows);
      // The root span's own fields first (an event without span ids: the call itself, as
      // before spans), then the run as a whole and its tree.
      const { subtree: _s, children: _c, ...root } = roots[0];
      return { ...root, run: { span_count: totals.spans, truncated, totals }, spans: roots };
    });

    scope.get('/v1/sessions/:session_id', async (req) => {
      const { session_id } = parseWith(sessionParamsSchema, req.params);
      const rows = await run(sessionTraces, { session_id, limit: MAX_SESSION_TRACES + 1 });
      if (rows.length === 0) throw notFound(`no session with session_id ${JSON.stringify(session_id)} (not written yet, or past retention)`);
      const traces = rows.slice(0, MAX_SESSION_TRACES);
      let pico = 0n;
      for (const t of traces) pico += decimalToPico(t.cost_usd);
      const sum = (k: 'spans' | 'model_calls' | 'unpriced_calls' | 'errors' | 'input_tokens' | 'output_tokens') => traces.reduce((n, t) => n + t[k], 0);
      return {
        session_id,
        users: [...new Set(traces.map((t) => t.user_id).filter((u) => u !== ''))].sort(),
        started: traces[0].started,
        ended: traces.reduce((e, t) => (t.ended > e ? t.ended : e), traces[0].ended),
        truncated: rows.length > MAX_SESSION_TRACES,
        totals: {
          traces: traces.length,
          cost_usd: picoToDecimal(pico),
          spans: sum('spans'),
          model_calls: sum('model_calls'),
          unpriced_calls: sum('unpriced_calls'),
          errors: sum('errors'),
          input_tokens: sum('input_tokens'),
          output_tokens: sum('output_tokens'),
        },
        traces,
      };
    });

    scope.get('/v1/models/unpriced', async (req) => {
      const r = resolveUnpricedRequest(req.query);
      const rows = await run(unpricedModels, {
        from_ms: r.fromMs ?? OPEN_RANGE.from_ms,
        to_ms: r.toMs ?? OPEN_RANGE.to_ms,
        limit: MAX_UNPRICED_ROWS,
      });
      return {
        from: r.fromMs === undefined ? null : new Date(r.fromMs).toISOString(),
        to: r.toMs === undefined ? null : new Date(r.toMs).toISOString(),
        rows,
      };
    });
  });
}
