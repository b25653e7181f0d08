import { z } from 'zod';

/**
 * The on-disk formats of the price table (schemas/pricing/prices.json) and of a user
 * overrides file (PRICES_FILE), as zod schemas, plus the error-path formatting used in
 * their error messages. Prices are USD per token. See schemas/pricing/README.md.
 */

/**
 * Per-token price fields, in file order. `input`/`output` are text tokens; the others are
 * parts of the call billed at their own price (see cost.ts for what each part is and what
 * an absent field falls back to).
 */
export const RATE_FIELDS = [
  'input',
  'output',
  'cache_read',
  'cache_write',
  'cache_write_1h',
  'reasoning',
  'input_audio',
  'output_audio',
  'input_image',
  'output_image',
] as const;
export type RateField = (typeof RATE_FIELDS)[number];
export type RateFields = { [F in RateField]?: number };

/** Price fields a long-context tier (`above_<N>k`) may carry: any per-token field. */
export type TierJson = RateFields;

/**
 * Service tiers with their own per-token prices (OpenAI `service_tier` flex / priority,
 * batch jobs). `default` is the price itself.
 */
export const SERVICE_TIERS = ['flex', 'priority', 'batch'] as const;
export type ServiceTierName = (typeof SERVICE_TIERS)[number];

/** A service tier's prices: per-token fields and its own long-context tiers. */
export type ServiceTierJson = RateFields & { [tier: `above_${number}k`]: TierJson | undefined };

/** One dated price of a model. `above_<N>k` keys hold long-context tiers (N × 1000 input tokens). */
export type PriceJson = RateFields & {
  effective_from: string;
  [tier: `above_${number}k`]: TierJson | undefined;
} & { [S in ServiceTierName]?: ServiceTierJson };

export interface ModelJson {
  provider: string;
  mode?: string;
  prices: PriceJson[];
}

export interface PriceTableFile {
  format: 1;
  version: string;
  source: string;
  source_updated?: string;
  license: string;
  models: Record<string, ModelJson>;
}

export interface ModelOverrideJson {
  /** Free text for the reader of the file (why this override exists); ignored. */
  $comment?: string;
  provider?: string;
  mode?: string;
  /** true: the model's prices become exactly `prices`; otherwise they are merged by effective_from. */
  replace?: boolean;
  prices: PriceJson[];
}

export interface OverridesFile {
  $comment?: string;
  models?: Record<string, ModelOverrideJson>;
  aliases?: Record<string, string>;
}

/** `above_200k` → 200000. Tier keys are `above_<N>k` with N a positive integer. */
export const TIER_KEY = /^above_([1-9][0-9]*)k$/;

const PRICE_FIELDS = ['effective_from', ...RATE_FIELDS] as const;
const RATE_FIELD_SET: ReadonlySet<string> = new Set(RATE_FIELDS);
const SERVICE_TIER_SET: ReadonlySet<string> = new Set(SERVICE_TIERS);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (2025-02-30 is false). */
export function isIsoDate(s: string): boolean {
  const m = DATE.exec(s);
  if (m === null) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** Milliseconds since the epoch of 00:00 UTC on a YYYY-MM-DD date. */
export function isoDateToMs(s: string): number {
  return Date.parse(`${s}T00:00:00Z`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const usd = z
  .number({ error: 'expected a number (USD per token)' })
  .min(0, 'expected a price >= 0');

const isoDate = z.string({ error: 'expected YYYY-MM-DD' }).refine(isIsoDate, 'expected YYYY-MM-DD');

const usdOptional = usd.optional();

type Issue = { path: PropertyKey[]; message: string };

/** Issues of an object holding per-token fields and (when `tiers`) `above_<N>k` tiers and service tiers. */
function rateObjectIssues(rec: Record<string, unknown>, allowed: { tiers: boolean; serviceTiers: boolean; effectiveFrom: boolean }): Issue[] {
  const issues: Issue[] = [];
  const names = [
    ...(allowed.effectiveFrom ? ['effective_from'] : []),
    ...RATE_FIELDS,
    ...(allowed.tiers ? ['above_<N>k'] : []),
    ...(allowed.serviceTiers ? SERVICE_TIERS : []),
  ];
  const expected = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  let prices = 0;
  for (const k of Object.keys(rec)) {
    if (k === 'effective_from' && allowed.effectiveFrom) continue;
    if (RATE_FIELD_SET.has(k)) {
      const r = usdOptional.safeParse(rec[k]);
      if (!r.success) for (const iss of r.error.issues) issues.push({ path: [k], message: iss.message });
      if (rec[k] !== undefined) prices++;
      continue;
    }
    if (allowed.tiers && TIER_KEY.test(k)) {
      issues.push(...nestedIssues(k, rec[k], { tiers: false, serviceTiers: false, effectiveFrom: false }));
      continue;
    }
    if (allowed.serviceTiers && SERVICE_TIER_SET.has(k)) {
      issues.push(...nestedIssues(k, rec[k], { tiers: true, serviceTiers: false, effectiveFrom: false }));
      continue;
    }
    issues.push({ path: [k], message: `unknown field (expected ${expected})` });
  }
  if (!allowed.effectiveFrom && prices === 0 && !Object.keys(rec).some((k) => TIER_KEY.test(k))) {
    issues.push({ path: [], message: 'a tier needs at least one price' });
  }
  return issues;
}

function nestedIssues(key: string, value: unknown, allowed: { tiers: boolean; serviceTiers: boolean; effectiveFrom: boolean }): Issue[] {
  if (value === undefined) return [];
  if (!isPlainObject(value)) {
    return [{ path: [key], message: `expected an object of per-token prices (${RATE_FIELDS.join(', ')})` }];
  }
  return rateObjectIssues(value, allowed).map((iss) => ({ path: [key, ...iss.path], message: iss.message }));
}

const priceSchema = z
  .looseObject(
    { effective_from: isoDate },
    { error: (iss) => (iss.code === 'invalid_type' ? 'expected a price object' : undefined) },
  )
  .superRefine((p, ctx) => {
    const rec = p as Record<string, unknown>;
    if (rec.input === undefined && rec.output === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a price needs input and/or output' });
    }
    for (const iss of rateObjectIssues(rec, { tiers: true, serviceTiers: true, effectiveFrom: true })) {
      ctx.addIssue({ code: 'custom', path: iss.path, message: iss.message });
    }
  }, { when: (payload) => isPlainObject(payload.value) }) as unknown as z.ZodType<PriceJson>;

const pricesSchema = z
  .array(priceSchema, { error: 'expected an array of prices' })
  .min(1, 'expected at least one price')
  .superRefine(
    (list, ctx) => {
      const seen = new Set<string>();
      list.forEach((p, i) => {
        const date = isPlainObject(p) ? (p as { effective_from?: unknown }).effective_from : undefined;
        if (typeof date !== 'string') return;
        if (seen.has(date)) ctx.addIssue({ code: 'custom', path: [i, 'effective_from'], message: `duplicate effective_from ${date}` });
        seen.add(date);
      });
    },
    { when: (payload) => Array.isArray(payload.value) },
  );

const modelName = z.string().min(1, 'model name must not be empty');

const modelSchema = z.strictObject({
  provider: z.string({ error: 'expected a provider name' }).min(1, 'expected a provider name'),
  mode: z.string().optional(),
  prices: pricesSchema,
});

export const priceTableFileSchema = z.strictObject({
  format: z.literal(1, { error: 'expected format 1' }),
  version: z.string().min(1),
  source: z.string(),
  source_updated: z.string().optional(),
  license: z.string(),
  models: z.record(modelName, modelSchema),
}) as unknown as z.ZodType<PriceTableFile>;

const modelOverrideSchema = z.strictObject({
  $comment: z.string().optional(),
  provider: z.string().min(1).optional(),
  mode: z.string().optional(),
  replace: z.boolean({ error: 'expected true or false' }).optional(),
  prices: pricesSchema,
});

export const overridesFileSchema = z.strictObject({
  $comment: z.string().optional(),
  models: z.record(modelName, modelOverrideSchema).optional(),
  aliases: z.record(z.string().min(1, 'alias must not be empty'), z.string().min(1, 'alias target must not be empty')).optional(),
}) as unknown as z.ZodType<OverridesFile>;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * `["models", "gpt-4o", "prices", 1, "effective_from"]` → `models["gpt-4o"].prices[1].effective_from`.
 * Keys of `models` and `aliases` (names chosen by users) are always bracketed.
 */
export function formatPricePath(path: readonly PropertyKey[]): string {
  let s = '';
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (typeof seg === 'number') s += `[${seg}]`;
    else {
      const name = String(seg);
      const isRecordKey = i === 1 && (path[0] === 'models' || path[0] === 'aliases');
      if (!isRecordKey && IDENT.test(name)) s += s === '' ? name : `.${name}`;
      else s += `[${JSON.stringify(name)}]`;
    }
  }
  return s === '' ? '(root)' : s;
}

/** Zod issues → `path: message` lines. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((iss) => `${formatPricePath(iss.path)}: ${iss.message}`);
}
