/**
 * Parameters of the quality endpoints. /v1/metrics/quality takes everything the other
 * metrics take (from, to, interval, the dimension filters; validated and aligned by
 * the same resolveMetricsRequest) plus `group_by` with `name`, a `name` filter and
 * `source`. /v1/quality/compare takes one feature and two prompt versions.
 */
import { DAY_MS } from '../core/time.ts';
import { z } from 'zod';
import { badRequest } from './http-errors.ts';
import { metricsQuerySchema, parseWith, resolveMetricsRequest, type GroupColumn, type Interval, type RangeLimits } from './params.ts';


export const QUALITY_GROUP_COLUMNS = ['feature', 'model', 'prompt_version', 'environment', 'name'] as const;
export type QualityGroupColumn = (typeof QUALITY_GROUP_COLUMNS)[number];
export const SOURCES = ['eval', 'user', 'both'] as const;
export type SourceParam = (typeof SOURCES)[number];
export type ScoreSource = 'eval' | 'user';

export const DEFAULT_QUALITY_GROUP_BY: QualityGroupColumn[] = ['name'];
export const DEFAULT_COMPARE_RANGE_MS = 7 * DAY_MS;
const MAX_VALUE_LENGTH = 256;

const m = metricsQuerySchema.shape;

function quote(value: unknown): string {
  const s = JSON.stringify(typeof value === 'string' ? value : String(value));
  return s.length > 66 ? `${s.slice(0, 64)}…"` : s;
}

const list = z
  .union([z.string(), z.array(z.string())], { error: 'must be a string or a repeated string' })
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== ''));

const groupBy = list.pipe(
  z.array(
    z.enum(QUALITY_GROUP_COLUMNS, {
      error: (iss) => `${quote(iss.input)} is not a group_by column; use a comma list of: ${QUALITY_GROUP_COLUMNS.join(', ')}`,
    }),
  ),
);

const single = z.string({ error: 'must be given once, as a single value' });

const source = single.pipe(z.enum(SOURCES, { error: (iss) => `${quote(iss.input)} is not a source; use one of: ${SOURCES.join(', ')}` }));

const oneValue = (what: string) =>
  single.max(MAX_VALUE_LENGTH, `must be at most ${MAX_VALUE_LENGTH} characters`).refine((s) => !s.includes(','), `one ${what}, not a list`);

export const qualityQuerySchema = z.strictObject({
  from: m.from,
  to: m.to,
  interval: m.interval,
  group_by: groupBy.optional(),
  feature: m.feature,
  model: m.model,
  prompt_version: m.prompt_version,
  environment: m.environment,
  name: m.feature,
  source: source.optional(),
});

export const compareQuerySchema = z.strictObject({
  feature: oneValue('feature').pipe(z.string().min(1, 'must not be empty')),
  baseline: oneValue('prompt version'),
  candidate: oneValue('prompt version'),
  from: m.from,
  to: m.to,
  name: m.feature,
  source: source.optional(),
});

export type DimensionFilters = Partial<Record<GroupColumn, string[]>>;

export interface QualityRequest {
  fromMs: number;
  toMs: number;
  interval: Interval;
  groupBy: QualityGroupColumn[];
  filters: DimensionFilters;
  names: string[];
  source: SourceParam;
}

export function sourcesOf(source: SourceParam): ScoreSource[] {
  return source === 'both' ? ['eval', 'user'] : [source];
}

/** Validates everything at once, then reuses the metrics range rules (span, minute limit, alignment). */
export function resolveQualityRequest(raw: unknown, limits: RangeLimits, nowMs = Date.now()): QualityRequest {
  const q = parseWith(qualityQuerySchema, raw);
  const { group_by: _g, name: _n, source: _s, ...metricsPart } = (raw ?? {}) as Record<string, unknown>;
  const r = resolveMetricsRequest(metricsPart, limits, nowMs);
  return {
    fromMs: r.fromMs,
    toMs: r.toMs,
    interval: r.interval,
    groupBy: [...new Set(q.group_by ?? DEFAULT_QUALITY_GROUP_BY)],
    filters: r.filters,
    names: [...new Set(q.name ?? [])],
    source: q.source ?? 'both',
  };
}

export interface CompareRequest {
  feature: string;
  baseline: string;
  candidate: string;
  fromMs: number;
  toMs: number;
  names: string[];
  source: SourceParam;
}

export function resolveCompareRequest(raw: unknown, limits: RangeLimits, nowMs = Date.now()): CompareRequest {
  const q = parseWith(compareQuerySchema, raw);
  const toMs = q.to ?? nowMs;
  const fromMs = q.from ?? toMs - DEFAULT_COMPARE_RANGE_MS;
  if (q.baseline === q.candidate) throw badRequest([{ field: 'candidate', message: 'must differ from baseline' }]);
  if (toMs <= fromMs) throw badRequest([{ field: 'from', message: 'must be earlier than to' }]);
  if (toMs - fromMs > limits.maxRangeDays * DAY_MS) throw badRequest([{ field: 'from', message: `from..to must span at most ${limits.maxRangeDays} days` }]);
  return { feature: q.feature, baseline: q.baseline, candidate: q.candidate, fromMs, toMs, names: [...new Set(q.name ?? [])], source: q.source ?? 'both' };
}
