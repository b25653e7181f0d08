import { z } from 'zod';

/**
 * The on-disk formats of the price table (schemas/pricing/prices.json) and of a user
 * overrides file (PRICES_FILE), as zod schemas, plus the error-path formatting used in
 * their error messages. Prices are USD per token. See schemas/pricing/README.md.
 */

/** Price fields a long-context tier (`above_<N>k`) may carry. */
export interface TierJson {
  input?: number;
  output?: number;
  cache_read?: number;
  cache_write?: number;
}

/** One dated price of a model. `above_<N>k` keys hold long-context tiers (N × 1000 input tokens). */
export interface PriceJson {
  effective_from: string;
  input?: number;
  output?: number;
  cache_read?: number;
  cache_write?: number;
  reasoning?: number;
  [tier: `above_${number}k`]: TierJson | undefined;
}

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

const PRICE_FIELDS = ['effective_from', 'input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const;
const PRICE_FIELD_SET: ReadonlySet<string> = new Set(PRICE_FIELDS);
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

const tierSchema = z
  .strictObject(
    { input: usd.optional(), output: usd.optional(), cache_read: usd.optional(), cache_write: usd.optional() },
    { error: (iss) => (iss.code === 'invalid_type' ? 'expected an object with input/output/cache_read/cache_write' : undefined) },
  )
  .refine(
    (t) => t.input !== undefined || t.output !== undefined || t.cache_read !== undefined || t.cache_write !== undefined,
    'a tier needs at least one price',
  );

const priceSchema = z
  .looseObject(
    {
      effective_from: isoDate,
      input: usd.optional(),
      output: usd.optional(),
      cache_read: usd.optional(),
      cache_write: usd.optional(),
      reasoning: usd.optional(),
    },
    { error: (iss) => (iss.code === 'invalid_type' ? 'expected a price object' : undefined) },
  )
  .superRefine((p, ctx) => {
    if (p.input === undefined && p.output === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a price needs input and/or output' });
    }
    const rec = p as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (PRICE_FIELD_SET.has(k)) continue;
      if (!TIER_KEY.test(k)) {
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: `unknown field (expected ${PRICE_FIELDS.join(', ')} or above_<N>k)`,
        });
        continue;
      }
      const r = tierSchema.safeParse(rec[k]);
      if (!r.success) {
        for (const iss of r.error.issues) ctx.addIssue({ code: 'custom', path: [k, ...iss.path], message: iss.message });
      }
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
