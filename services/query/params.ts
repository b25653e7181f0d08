/**
 * Request parameters of the query API: zod schemas for the query strings, and the pure
 * functions that turn them into a validated, bucket-aligned request. Every problem is
 * reported at once as `{ field, message }`, naming the parameter.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time.ts';
import { z } from 'zod';
import type { FieldError } from '../core/schema/field-errors.ts';
import { badRequest } from './http-errors.ts';
import { ceilTo, floorTo, parseInstant } from './time.ts';

export const GROUP_COLUMNS = ['feature', 'model', 'prompt_version', 'environment'] as const;
export type GroupColumn = (typeof GROUP_COLUMNS)[number];
export const FILTER_COLUMNS = GROUP_COLUMNS;

export const INTERVALS = ['minute', 'hour', 'day', 'none'] as const;
export type Interval = (typeof INTERVALS)[number];
/** Which rollup a query reads: traces_1m or traces_1h. */
export type Resolution = 'minute' | 'hour';

export const DEFAULT_RANGE_MS = DAY_MS;
/** Without `interval`, the finest one giving at most this many buckets per series. */
export const MAX_DEFAULT_BUCKETS = 1_000;
export const MAX_FILTER_VALUES = 100;
export const MAX_VALUE_LENGTH = 256;

export interface RangeLimits {
  /** Longest from..to span any metrics query may cover. */
  maxRangeDays: number;
  /** Longest span for interval=minute (and the span under which interval=none reads traces_1m). */
  maxMinuteRangeDays: number;
}

const single = z.string({ error: 'must be given once, as a single value' });

const instant = single.transform((s, ctx) => {
  const ms = parseInstant(s);
  if (ms === null) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an ISO-8601 date-time (e.g. 2024-05-01T10:00:00Z) or epoch milliseconds, between 1970 and 2100',
    });
    return z.NEVER;
  }
  return ms;
});

/** A repeatable parameter, each value possibly a comma list: a=x&a=y,z → [x, y, z]. */
const list = z
  .union([z.string(), z.array(z.string())], { error: 'must be a string or a repeated string' })
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== ''));

const filterValues = list.pipe(
  z
    .array(z.string().max(MAX_VALUE_LENGTH, `each value must be at most ${MAX_VALUE_LENGTH} characters`))
    .max(MAX_FILTER_VALUES, `at most ${MAX_FILTER_VALUES} values`),
);

/** Echoes a bad value back, JSON-quoted and cut short. */
function quote(value: unknown): string {
  const s = JSON.stringify(typeof value === 'string' ? value : String(value));
  return s.length > 66 ? `${s.slice(0, 64)}…"` : s;
}

const groupBy = list.pipe(
  z.array(
    z.enum(GROUP_COLUMNS, {
      error: (iss) => `${quote(iss.input)} is not a group_by column; use a comma list of: ${GROUP_COLUMNS.join(', ')}`,
    }),
  ),
);

const interval = single.pipe(
  z.enum(INTERVALS, { error: (iss) => `${quote(iss.input)} is not an interval; use one of: ${INTERVALS.join(', ')}` }),
);

export const metricsQuerySchema = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
  interval: interval.optional(),
  group_by: groupBy.optional(),
  feature: filterValues.optional(),
  model: filterValues.optional(),
  prompt_version: filterValues.optional(),
  environment: filterValues.optional(),
});

export const unpricedQuerySchema = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
});

export const traceParamsSchema = z.strictObject({
  trace_id: z
    .string({ error: 'is required' })
    .min(1, 'must not be empty')
    .max(MAX_VALUE_LENGTH, `must be at most ${MAX_VALUE_LENGTH} characters`),
});

export const sessionParamsSchema = z.strictObject({
  session_id: z
    .string({ error: 'is required' })
    .min(1, 'must not be empty')
    .max(MAX_VALUE_LENGTH, `must be at most ${MAX_VALUE_LENGTH} characters`),
});

export type Filters = Partial<Record<GroupColumn, string[]>>;

export interface MetricsRequest {
  /** Inclusive start, aligned down to the bucket. */
  fromMs: number;
  /** Exclusive end, aligned up to the bucket. */
  toMs: number;
  interval: Interval;
  resolution: Resolution;
  groupBy: GroupColumn[];
  filters: Filters;
}

/** zod issues → one entry per offending parameter (unknown parameters included); `root` names the input itself. */
export function issuesToFields(error: z.ZodError, root = '(query)'): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: key === '' ? '(empty name)' : key, message: 'unknown parameter' });
      continue;
    }
    const field = issue.path.length > 0 ? String(issue.path[0]) : root;
    if (!out.some((f) => f.field === field && f.message === issue.message)) out.push({ field, message: issue.message });
  }
  return out;
}

/** `root`: what a problem with the input as a whole is reported as ('(body)' for a JSON body). */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, root = '(query)'): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw badRequest(issuesToFields(result.error, root));
  return result.data;
}

const STEP_MS: Record<Exclude<Interval, 'none'>, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };

/** The finest interval with at most MAX_DEFAULT_BUCKETS buckets over the span (minute only
 *  within the minute rollup's span): 24 h → hour, 30 days → hour, 90 days → day. */
export function defaultInterval(spanMs: number, limits: RangeLimits): Exclude<Interval, 'none'> {
  if (spanMs <= MAX_DEFAULT_BUCKETS * MINUTE_MS && spanMs <= limits.maxMinuteRangeDays * DAY_MS) return 'minute';
  if (spanMs <= MAX_DEFAULT_BUCKETS * HOUR_MS) return 'hour';
  return 'day';
}

/**
 * Defaults (to = now, from = to − 24h, the interval from the span: defaultInterval),
 * checks the span, picks the rollup and aligns
 * from/to outward to whole buckets: rollups cannot split a bucket, so a partial bucket
 * at either end is counted whole, and the response says which range was really read.
 */
export function resolveMetricsRequest(raw: unknown, limits: RangeLimits, nowMs = Date.now()): MetricsRequest {
  const q = parseWith(metricsQuerySchema, raw);
  const toMs = q.to ?? nowMs;
  const fromMs = q.from ?? toMs - DEFAULT_RANGE_MS;
  const fields: FieldError[] = [];
  const spanMs = toMs - fromMs;
  const interval = q.interval ?? defaultInterval(Math.max(spanMs, 0), limits);
  if (spanMs <= 0) {
    fields.push({ field: 'from', message: `must be earlier than to (from=${iso(fromMs)}, to=${iso(toMs)})` });
  } else if (spanMs > limits.maxRangeDays * DAY_MS) {
    fields.push({ field: 'from', message: `from..to must span at most ${limits.maxRangeDays} days` });
  } else if (interval === 'minute' && spanMs > limits.maxMinuteRangeDays * DAY_MS) {
    fields.push({
      field: 'interval',
      message: `interval=minute allows at most ${limits.maxMinuteRangeDays} days between from and to; use interval=hour or a shorter range`,
    });
  }
  if (fields.length > 0) throw badRequest(fields);

  const resolution: Resolution =
    interval === 'minute' || (interval === 'none' && spanMs <= limits.maxMinuteRangeDays * DAY_MS) ? 'minute' : 'hour';
  const step = interval === 'none' ? (resolution === 'minute' ? MINUTE_MS : HOUR_MS) : STEP_MS[interval];
  const filters: Filters = {};
  for (const col of FILTER_COLUMNS) {
    const values = q[col];
    if (values && values.length > 0) filters[col] = [...new Set(values)];
  }
  return {
    fromMs: floorTo(fromMs, step),
    toMs: ceilTo(toMs, step),
    interval,
    resolution,
    groupBy: [...new Set(q.group_by ?? [])],
    filters,
  };
}

export interface UnpricedRequest {
  fromMs?: number;
  toMs?: number;
}

export function resolveUnpricedRequest(raw: unknown): UnpricedRequest {
  const q = parseWith(unpricedQuerySchema, raw);
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
    throw badRequest([{ field: 'from', message: `must be earlier than to (from=${iso(q.from)}, to=${iso(q.to)})` }]);
  }
  return { fromMs: q.from, toMs: q.to };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
