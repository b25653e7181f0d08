import { createHash } from 'node:crypto';
import { isIsoDate, RATE_FIELDS, SERVICE_TIERS, TIER_KEY, type ModelJson, type PriceJson, type PriceTableFile, type RateField } from './price-schema.ts';

/**
 * Converts LiteLLM's model_prices_and_context_window.json (BerriAI/litellm, MIT) into the
 * project's price table. Pure: text in, table + report out; serializePriceTable gives
 * the deterministic file text (scripts/import-prices.ts does the I/O).
 *
 * Kept: entries with a numeric input_cost_per_token and/or output_cost_per_token.
 * Mapped fields (USD per token):
 *   input_cost_per_token → input                    output_cost_per_token → output
 *   cache_read_input_token_cost → cache_read (else input_cost_per_token_cache_hit, DeepSeek style)
 *   cache_creation_input_token_cost → cache_write
 *   cache_creation_input_token_cost_above_1hr → cache_write_1h
 *   output_cost_per_reasoning_token → reasoning
 *   input_cost_per_audio_token → input_audio        output_cost_per_audio_token → output_audio
 *   input_cost_per_image_token → input_image        output_cost_per_image_token → output_image
 * each optionally followed by
 *   _above_<N>k_tokens → the field of the above_<N>k long-context tier, and/or
 *   _flex / _priority / _batches → the field of the flex / priority / batch service tier
 *   (input_cost_per_token_above_272k_tokens_priority → priority.above_272k.input).
 * Everything else (per-image, per-second, per-character, per-query, cached audio,
 * range-based tiered_pricing, ...) is not applied; the report counts those fields.
 */

export const LITELLM_SOURCE = 'https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json';
export const LITELLM_LICENSE = 'MIT (BerriAI/litellm)';

export type SkipReason = 'sample_spec' | 'not_an_object' | 'no_token_price' | 'tiered_pricing_only' | 'invalid_price';

export interface ConvertReport {
  entries: number;
  kept: number;
  skipped: Record<SkipReason, number>;
  /** Up to 10 example keys per skip reason. */
  skippedExamples: Record<SkipReason, string[]>;
  keptByMode: Record<string, number>;
  /** Models carrying each long-context tier, e.g. { above_200k: 49 }. */
  tiers: Record<string, number>;
  /** Models carrying each service tier, e.g. { priority: 100 }. */
  serviceTiers: Record<string, number>;
  /** Models whose cache_read came from input_cost_per_token_cache_hit. */
  cacheHitAsCacheRead: number;
  /** Kept models whose every token price is 0. */
  zeroPriced: string[];
  /** Price-like fields present on kept models that the table does not carry, with counts. */
  notApplied: Record<string, number>;
}

export interface ConvertOptions {
  /**
   * effective_from of every imported price; the snapshot has no dates. Default 1970-01-01.
   * (A refresh of an existing table re-dates changed prices itself: see price-merge.ts.)
   */
  effectiveFrom?: string;
  source?: string;
}

const BASE_FIELDS: Readonly<Record<string, RateField>> = {
  input_cost_per_token: 'input',
  output_cost_per_token: 'output',
  cache_read_input_token_cost: 'cache_read',
  cache_creation_input_token_cost: 'cache_write',
  cache_creation_input_token_cost_above_1hr: 'cache_write_1h',
  output_cost_per_reasoning_token: 'reasoning',
  input_cost_per_audio_token: 'input_audio',
  output_cost_per_audio_token: 'output_audio',
  input_cost_per_image_token: 'input_image',
  output_cost_per_image_token: 'output_image',
};
/** `<base field>[_above_<N>k_tokens][_flex|_priority|_batches]`. */
const PRICE_FIELD = new RegExp(
  `^(${Object.keys(BASE_FIELDS)
    .sort((x, y) => y.length - x.length)
    .join('|')})(?:_above_([1-9][0-9]*)k_tokens)?(?:_(flex|priority|batches))?$`,
);
const STANDARD_TEXT: ReadonlySet<string> = new Set([
  'input_cost_per_token',
  'output_cost_per_token',
  'cache_read_input_token_cost',
  'cache_creation_input_token_cost',
  'output_cost_per_reasoning_token',
]);
const SERVICE_TIER_OF: Readonly<Record<string, (typeof SERVICE_TIERS)[number]>> = { flex: 'flex', priority: 'priority', batches: 'batch' };
const CACHE_HIT = 'input_cost_per_token_cache_hit';
const PRICE_LIKE = /cost|price/;

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function emptyCounts(): Record<SkipReason, number> {
  return { sample_spec: 0, not_an_object: 0, no_token_price: 0, tiered_pricing_only: 0, invalid_price: 0 };
}

/** `litellm-<first 12 hex of sha256(source text)>`. */
export function versionOf(sourceText: string): string {
  return `litellm-${createHash('sha256').update(sourceText).digest('hex').slice(0, 12)}`;
}

export function convertLiteLLM(sourceText: string, opts: ConvertOptions = {}): { table: PriceTableFile; report: ConvertReport } {
  const effectiveFrom = opts.effectiveFrom ?? '1970-01-01';
  if (!isIsoDate(effectiveFrom)) throw new Error(`effective_from: expected YYYY-MM-DD, got ${JSON.stringify(effectiveFrom)}`);
  const snapshot: unknown = JSON.parse(sourceText);
  if (snapshot === null || typeof snapshot !== 'object' || Array.isArray(snapshot)) {
    throw new Error('the LiteLLM snapshot must be a JSON object of model name → model info');
  }
  const src = snapshot as Record<string, unknown>;
  const report: ConvertReport = {
    entries: 0,
    kept: 0,
    skipped: emptyCounts(),
    skippedExamples: { sample_spec: [], not_an_object: [], no_token_price: [], tiered_pricing_only: [], invalid_price: [] },
    keptByMode: {},
    tiers: {},
    serviceTiers: {},
    cacheHitAsCacheRead: 0,
    zeroPriced: [],
    notApplied: {},
  };
  const skip = (reason: SkipReason, key: string): void => {
    report.skipped[reason]++;
    if (report.skippedExamples[reason].length < 10) report.skippedExamples[reason].push(key);
  };

  const models: Record<string, ModelJson> = {};
  for (const key of Object.keys(src).sort()) {
    report.entries++;
    const entry = src[key];
    if (key === 'sample_spec') {
      skip('sample_spec', key);
      continue;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      skip('not_an_object', key);
      continue;
    }
    const e = entry as Record<string, unknown>;
    const hasIn = e.input_cost_per_token !== undefined;
    const hasOut = e.output_cost_per_token !== undefined;
    if (!hasIn && !hasOut) {
      skip(e.tiered_pricing !== undefined ? 'tiered_pricing_only' : 'no_token_price', key);
      continue;
    }
    const price: Record<string, unknown> = { effective_from: effectiveFrom };
    const applied = new Set<string>();
    let invalid = false;
    for (const field of Object.keys(e)) {
      const m = PRICE_FIELD.exec(field);
      if (m === null) continue;
      const v = e[field];
      if (!isPrice(v)) {
        // A bad standard text price makes the entry unusable; a bad price of another part
        // or tier is left out (and counted as not applied).
        if (m[3] === undefined && STANDARD_TEXT.has(m[1])) invalid = true;
        continue;
      }
      applied.add(field);
      let target = price;
      if (m[3] !== undefined) target = (target[SERVICE_TIER_OF[m[3]]] ??= {}) as Record<string, unknown>;
      if (m[2] !== undefined) target = (target[`above_${m[2]}k`] ??= {}) as Record<string, unknown>;
      target[BASE_FIELDS[m[1]]] = v;
    }
    if (invalid) {
      skip('invalid_price', key);
      continue;
    }
    if (isPrice(e[CACHE_HIT])) {
      applied.add(CACHE_HIT); // used as cache_read when that is absent, else redundant with it
      if (price.cache_read === undefined) {
        price.cache_read = e[CACHE_HIT];
        report.cacheHitAsCacheRead++;
      }
    }
    for (const name of Object.keys(price).filter((k) => TIER_KEY.test(k))) {
      report.tiers[name] = (report.tiers[name] ?? 0) + 1;
    }
    for (const tier of SERVICE_TIERS) if (price[tier] !== undefined) report.serviceTiers[tier] = (report.serviceTiers[tier] ?? 0) + 1;
    for (const field of Object.keys(e)) {
      if (!applied.has(field) && PRICE_LIKE.test(field)) report.notApplied[field] = (report.notApplied[field] ?? 0) + 1;
    }
    const provider = typeof e.litellm_provider === 'string' && e.litellm_provider !== '' ? e.litellm_provider : 'unknown';
    const mode = typeof e.mode === 'string' && e.mode !== '' ? e.mode : undefined;
    const model: ModelJson = mode === undefined ? { provider, prices: [price as unknown as PriceJson] } : { provider, mode, prices: [price as unknown as PriceJson] };
    models[key] = { ...model, prices: [canonicalPrice(model.prices[0]) as unknown as PriceJson] };
    report.kept++;
    const modeName = mode ?? '(none)';
    report.keptByMode[modeName] = (report.keptByMode[modeName] ?? 0) + 1;
    if (RATE_FIELDS.every((f) => price[f] === undefined || price[f] === 0)) report.zeroPriced.push(key);
  }

  const updated = src.last_updated;
  const table: PriceTableFile = {
    format: 1,
    version: versionOf(sourceText),
    source: opts.source ?? LITELLM_SOURCE,
    ...(typeof updated === 'string' ? { source_updated: updated } : {}),
    license: LITELLM_LICENSE,
    models,
  };
  return { table, report };
}

/** Per-token fields then `above_<N>k` tiers by N, undefined dropped: the order of a tier object in the file. */
function canonicalRates(rec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of RATE_FIELDS) if (rec[f] !== undefined) out[f] = rec[f];
  const tierKeys = Object.keys(rec)
    .filter((k) => TIER_KEY.test(k) && rec[k] !== undefined)
    .sort((a, b) => Number(TIER_KEY.exec(a)![1]) - Number(TIER_KEY.exec(b)![1]));
  for (const k of tierKeys) out[k] = canonicalRates(rec[k] as Record<string, unknown>);
  return out;
}

/**
 * A price's fields in the file's fixed order (effective_from, the per-token fields in
 * RATE_FIELDS order, above_<N>k by N, then the service tiers flex, priority, batch, each
 * in the same order), undefined fields dropped. Two prices are equal iff their canonical
 * JSON texts are.
 */
export function canonicalPrice(p: PriceJson): Record<string, unknown> {
  const rec = p as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (rec.effective_from !== undefined) out.effective_from = rec.effective_from;
  Object.assign(out, canonicalRates(rec));
  for (const s of SERVICE_TIERS) if (rec[s] !== undefined) out[s] = canonicalRates(rec[s] as Record<string, unknown>);
  return out;
}

/**
 * Deterministic file text: header fields in a fixed order, models sorted by key
 * (code-unit order), one model per line, fields of a price in a fixed order
 * (effective_from, input, output, cache_read, cache_write, reasoning, above_<N>k by N),
 * numbers as JavaScript's shortest round-trip form.
 */
export function serializePriceTable(table: PriceTableFile): string {
  const lines: string[] = ['{'];
  lines.push(`  "format": ${JSON.stringify(table.format)},`);
  lines.push(`  "version": ${JSON.stringify(table.version)},`);
  lines.push(`  "source": ${JSON.stringify(table.source)},`);
  if (table.source_updated !== undefined) lines.push(`  "source_updated": ${JSON.stringify(table.source_updated)},`);
  lines.push(`  "license": ${JSON.stringify(table.license)},`);
  const keys = Object.keys(table.models).sort();
  if (keys.length === 0) {
    lines.push('  "models": {}');
  } else {
    lines.push('  "models": {');
    keys.forEach((key, i) => {
      const m = table.models[key];
      const model: Record<string, unknown> = { provider: m.provider };
      if (m.mode !== undefined) model.mode = m.mode;
      model.prices = [...m.prices].sort((a, b) => (a.effective_from < b.effective_from ? -1 : 1)).map(canonicalPrice);
      lines.push(`    ${JSON.stringify(key)}: ${JSON.stringify(model)}${i < keys.length - 1 ? ',' : ''}`);
    });
    lines.push('  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
