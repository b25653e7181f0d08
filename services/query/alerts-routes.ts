import { DAY_MS } from '../core/time.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { apiKeyOf } from '../core/auth/http-auth.ts';
import { alertList, openAlertList } from '../core/alerts/alert-queries.ts';
import { createSilence, expireSilence, listSilences } from '../core/alerts/silence-queries.ts';
import type { Silence } from '../core/alerts/silences.ts';
import { runQuery } from '../core/store/named-query.ts';
import type { Store } from '../core/store/store.ts';
import { badRequest, notFound } from './http-errors.ts';
import { parseWith } from './params.ts';
import { parseInstant } from './time.ts';

/**
 * GET /v1/alerts, POST/GET /v1/silences, DELETE /v1/silences/:id. Alerts are the rows
 * of the `alerts` table (one per state change); `state=open` answers "what is pending or
 * firing now" from the latest change of every alert instead. Every value is bound.
 */
const STATES = ['pending', 'firing', 'resolved', 'open'] as const;
const single = z.string({ error: 'must be given once, as a single value' });
const instant = single.transform((s, ctx) => {
  const ms = parseInstant(s);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date-time (e.g. 2024-05-01T10:00:00Z) or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});
const name = single.max(256, 'at most 256 characters');

const alertsQuerySchema = z.strictObject({
  state: z.enum(STATES, { error: `must be one of ${STATES.join(', ')}` }).optional(),
  feature: name.optional(),
  model: name.optional(),
  metric: name.optional(),
  rule: name.optional(),
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be >= 1').max(10_000, 'must be <= 10000').default(500),
});

const glob = z.string({ error: 'expected a string' }).max(256, 'at most 256 characters').default('');
const silenceBodySchema = z
  .strictObject({
    rule: glob,
    metric: glob,
    feature: glob,
    model: glob,
    starts_at: z.union([z.string(), z.number()]).optional(),
    ends_at: z.union([z.string(), z.number()]).optional(),
    duration_minutes: z.number({ error: 'expected a number of minutes' }).int('expected a whole number').min(1, 'must be >= 1').max(90 * 24 * 60, 'at most 90 days').optional(),
    comment: z.string({ error: 'say why (a comment is required)' }).min(1, 'say why (a comment is required)').max(1000),
    created_by: z.string().max(256).default(''),
  })
  .superRefine((b, ctx) => {
    if ((b.ends_at === undefined) === (b.duration_minutes === undefined)) ctx.addIssue({ code: 'custom', path: ['duration_minutes'], message: 'give either duration_minutes or ends_at' });
    if (!b.rule && !b.metric && !b.feature && !b.model) ctx.addIssue({ code: 'custom', path: ['feature'], message: 'a silence needs at least one matcher (rule, metric, feature or model); use "*" explicitly to silence everything' });
    for (const f of ['starts_at', 'ends_at'] as const) {
      const v = b[f];
      if (v !== undefined && parseInstant(String(v)) === null) ctx.addIssue({ code: 'custom', path: [f], message: 'must be an ISO-8601 date-time or epoch milliseconds' });
    }
  });

export function registerAlertRoutes(scope: FastifyInstance, opts: { store: Store; now?: () => number }): void {
  const now = opts.now ?? Date.now;

  scope.get('/v1/alerts', async (req) => {
    const q = parseWith(alertsQuerySchema, req.query);
    const to = q.to ?? now();
    const from = q.from ?? to - DAY_MS;
    const filters = { feature: q.feature ?? '', model: q.model ?? '', metric: q.metric ?? '', rule: q.rule ?? '' };
    const rows =
      q.state === 'open'
        ? await runQuery(opts.store, openAlertList, { ...filters, limit: q.limit })
        : await runQuery(opts.store, alertList, { ...filters, state: q.state ?? '', from, to, limit: q.limit });
    return {
      from: q.state === 'open' ? null : new Date(from).toISOString(),
      to: q.state === 'open' ? null : new Date(to).toISOString(),
      state: q.state ?? null,
      rows,
    };
  });

  scope.post('/v1/silences', async (req, reply) => {
    const b = parseWith(silenceBodySchema, req.body, '(body)');
    const at = now();
    const startsAt = b.starts_at === undefined ? at : (parseInstant(String(b.starts_at)) as number);
    const endsAt = b.ends_at !== undefined ? (parseInstant(String(b.ends_at)) as number) : startsAt + (b.duration_minutes as number) * 60_000;
    if (endsAt <= startsAt) throw badRequest([{ field: 'ends_at', message: 'must be after starts_at' }]);
    const silence = await createSilence(opts.store, { rule: b.rule, metric: b.metric, feature: b.feature, model: b.model, starts_at: startsAt, ends_at: endsAt, comment: b.comment, created_by: b.created_by || (apiKeyOf(req)?.name ?? '') }, at);
    return reply.status(201).send(silenceView(silence));
  });

  scope.get('/v1/silences', async () => ({ rows: (await listSilences(opts.store, { activeAt: now() })).map(silenceView) }));

  scope.delete('/v1/silences/:id', async (req) => {
    const { id } = parseWith(z.strictObject({ id: z.string().uuid('must be a silence id (a UUID)') }), req.params);
    const ended = await expireSilence(opts.store, id, now());
    if (!ended) throw notFound(`no silence with id ${JSON.stringify(id)}`);
    return silenceView(ended);
  });
}

function silenceView(s: Silence) {
  return { ...s, starts_at: new Date(s.starts_at).toISOString(), ends_at: new Date(s.ends_at).toISOString(), created_at: new Date(s.created_at).toISOString() };
}
