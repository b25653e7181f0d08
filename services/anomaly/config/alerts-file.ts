import { z } from 'zod';
import { METRICS } from '../types.ts';

/**
 * The versioned alerts file (`ALERTS_FILE`, example in schemas/alerts/alerts.example.json,
 * documented field by field in schemas/alerts/README.md). Every field has a default, so
 * `{ "version": 1 }` is a working file: learned detectors on every metric, no budgets,
 * no thresholds, alerts on unpriced models, no receivers (alerts are still stored and
 * published on llm.alerts).
 */
export const ALERTS_FILE_VERSION = 1;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const name = z.string({ error: 'expected a string' }).regex(NAME, 'expected 1-128 characters: letters, digits, _ . : - (starting with a letter or digit)');
/** A feature or model name, or "*" for the aggregated series; not a glob (one rule watches one series). */
const dim = z
  .string({ error: 'expected a name or "*"' })
  .min(1, 'must not be empty')
  .refine((v) => v === '*' || !/[*?]/.test(v), 'a name or "*" (the aggregate over all), not a glob: one rule watches one series')
  .default('*');
const glob = z.union([z.string().min(1), z.array(z.string().min(1)).min(1, 'an empty list would match nothing')], { error: 'expected a glob string or a list of globs' });
const positive = z.number({ error: 'expected a number' }).positive('must be > 0');
const whole = (min: number, max: number) => z.number({ error: 'expected a number' }).int('expected a whole number').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);
const cronExpr = z.string().min(1).refine((s) => s.trim().split(/\s+/).length >= 5 && s.trim().split(/\s+/).length <= 6, 'expected a cron expression with 5 or 6 fields');

/** Knobs of the learned detectors for one metric; unset fields keep the built-in defaults (detectors/defaults.ts). */
export const metricSettingsSchema = z.strictObject({
  enabled: z.boolean().optional(),
  direction: z.enum(['up', 'down', 'both']).optional(),
  /** Minimum events in the minute (evals / feedback for quality metrics) for the minute to be judged. */
  min_volume: whole(0, 1_000_000).optional(),
  /** Minutes of history before the detector may fire. */
  warmup_minutes: whole(0, 7 * 24 * 60).optional(),
  /** Fire when `fire_k` of the last `fire_n` judged minutes are anomalous. */
  fire_k: whole(1, 120).optional(),
  fire_n: whole(1, 120).optional(),
  /** Resolve after this many consecutive normal minutes. */
  resolve_after_minutes: whole(1, 24 * 60).optional(),
  /** Robust z (MADs) beyond which a minute is anomalous; higher is quieter. */
  threshold: positive.optional(),
});

export const budgetSchema = z
  .strictObject({
    name,
    feature: dim,
    daily_usd: positive.optional(),
    monthly_usd: positive.optional(),
    /** Warn at this share of the budget (0..1). */
    warn_at: z.number().gt(0, 'must be > 0').lt(1, 'must be < 1').default(0.8),
    /** Also warn when the spend so far, extrapolated linearly to the period's end, exceeds the budget. */
    warn_on_projection: z.boolean().default(true),
    /** `user`: the budget is each user's (by user_id, model calls of the feature), one alert per user over it; absent: the feature's total. */
    per: z.enum(['user'], { error: 'expected "user" (a budget for each user), or leave it out (the feature as a whole)' }).optional(),
  })
  .refine((b) => b.daily_usd !== undefined || b.monthly_usd !== undefined, { message: 'set daily_usd, monthly_usd or both', path: ['daily_usd'] });

export const thresholdSchema = z
  .strictObject({
    name,
    metric: z.enum(METRICS, { error: `expected one of ${METRICS.join(', ')}` }),
    feature: dim,
    model: dim,
    above: z.number().optional(),
    below: z.number().optional(),
    /** Consecutive minutes beyond the limit before firing (and within it before resolving). */
    for_minutes: whole(1, 24 * 60).default(3),
    /** Minutes with fewer events are not judged. */
    min_requests: whole(0, 1_000_000).default(1),
    severity: z.enum(['warning', 'critical']).default('critical'),
  })
  .refine((t) => t.above !== undefined || t.below !== undefined, { message: 'set above, below or both', path: ['above'] })
  .refine((t) => t.above === undefined || t.below === undefined || t.above > t.below, {
    message: 'above must be greater than below (a value is a breach when it is above `above` or below `below`)',
    path: ['above'],
  });

export const receiverSchema = z.strictObject({
  name,
  type: z.enum(['slack', 'webhook']),
  /** Environment variable holding the URL (webhook URLs are secrets: never in the file). */
  url_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
  /** Allow targets on private/loopback addresses (tests, internal hooks). */
  allow_private: z.boolean().default(false),
});

export const routeSchema = z.strictObject({
  /** Globs on the alert key; unset fields match everything. */
  match: z.strictObject({ rule: glob.optional(), metric: glob.optional(), feature: glob.optional(), model: glob.optional(), severity: z.enum(['warning', 'critical']).optional() }).default({}),
  receivers: z.array(name).min(1, 'route to at least one receiver'),
  /** Stop at the first matching route (default) or keep matching. */
  continue: z.boolean().default(false),
});

export const alertsFileSchema = z
  .strictObject({
    version: z.literal(ALERTS_FILE_VERSION, { error: `unsupported version: this build reads version ${ALERTS_FILE_VERSION}` }),
    /** Late events count towards their minute until this many seconds after it ended. */
    grace_seconds: whole(0, 3600).default(120),
    /** A firing alert is re-sent this often while it keeps firing (0: never). */
    repeat_interval_minutes: whole(0, 7 * 24 * 60).default(240),
    /** Alert changes of one minute that share a metric, state and model (or metric and state) go out as one message when at least this many features are hit. */
    group_min_features: whole(2, 1000).default(3),
    /** Base URL of the query API, linked from notifications. */
    query_api_url: z.url().optional(),
    metrics: z.partialRecord(z.enum(METRICS), metricSettingsSchema).default({}),
    budgets: z.array(budgetSchema).default([]),
    thresholds: z.array(thresholdSchema).default([]),
    unpriced_models: z.strictObject({ enabled: z.boolean().default(true), severity: z.enum(['warning', 'critical']).default('warning') }).default({ enabled: true, severity: 'warning' }),
    receivers: z.array(receiverSchema).default([]),
    routes: z.array(routeSchema).default([]),
    digest: z.strictObject({ cron: cronExpr.default('0 9 * * *'), receivers: z.array(name).default([]) }).default({ cron: '0 9 * * *', receivers: [] }),
  })
  .superRefine(
    (file, ctx) => {
    // Runs even when other fields failed (`when` below), so every problem shows at once:
    // guard against parts that did not parse.
    if (!Array.isArray(file.receivers) || !Array.isArray(file.budgets) || !Array.isArray(file.thresholds) || !Array.isArray(file.routes) || !file.digest || !file.metrics) return;
    const receivers = new Set<string>();
    file.receivers.forEach((r, i) => {
      if (receivers.has(r.name)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'name'], message: `duplicate receiver name "${r.name}"` });
      receivers.add(r.name);
    });
    const ruleNames = new Set<string>();
    const addRule = (n: string, path: (string | number)[]) => {
      if (n === 'anomaly' || n === 'unpriced_model') ctx.addIssue({ code: 'custom', path, message: `"${n}" is reserved for built-in rules` });
      else if (ruleNames.has(n)) ctx.addIssue({ code: 'custom', path, message: `duplicate rule name "${n}"` });
      ruleNames.add(n);
    };
    file.budgets.forEach((b, i) => addRule(b.name, ['budgets', i, 'name']));
    file.thresholds.forEach((t, i) => addRule(t.name, ['thresholds', i, 'name']));
    file.routes.forEach((r, i) =>
      r.receivers.forEach((n, j) => {
        if (!receivers.has(n)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'receivers', j], message: `unknown receiver "${n}"` });
      }),
    );
    file.digest.receivers.forEach((n, j) => {
      if (!receivers.has(n)) ctx.addIssue({ code: 'custom', path: ['digest', 'receivers', j], message: `unknown receiver "${n}"` });
    });
    for (const [metric, s] of Object.entries(file.metrics)) {
      if (s?.fire_k !== undefined && s.fire_n !== undefined && s.fire_k > s.fire_n) ctx.addIssue({ code: 'custom', path: ['metrics', metric, 'fire_k'], message: 'fire_k must be <= fire_n' });
    }
    },
    { when: () => true },
  );

export type AlertsFile = z.output<typeof alertsFileSchema>;
export type MetricSettings = z.output<typeof metricSettingsSchema>;
export type BudgetRule = z.output<typeof budgetSchema>;
export type ThresholdRule = z.output<typeof thresholdSchema>;
export type ReceiverConfig = z.output<typeof receiverSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
