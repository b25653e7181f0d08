import {
  SERVICE_TIERS,
  TIER_KEY,
  type PriceJson,
  type RateField,
  type RateFields,
  type ServiceTierName,
  type TierJson,
} from './price-schema.ts';

/**
 * Cost of one call from its token counts and a price, in integer pico-USD (1e-12 USD).
 *
 * Token counts follow the OpenTelemetry GenAI convention: `input_tokens` is the whole
 * prompt and `output_tokens` the whole completion; every other count is a part of one of
 * them, and the parts of one side are disjoint:
 *
 *   input_tokens  = text input + cached_input_tokens + cache_write_tokens
 *                   + input_audio_tokens + input_image_tokens
 *   cache_write_tokens ⊇ cache_write_1h_tokens (the rest are 5-minute writes)
 *   output_tokens = text output + reasoning_tokens + output_audio_tokens + output_image_tokens
 *
 * Each part is billed at its own price; an absent price falls back (→):
 *
 *   text input              at `input`
 *   cached input            at `cache_read`      → `input`
 *   5-minute cache write    at `cache_write`     → `input`
 *   1-hour cache write      at `cache_write_1h`  → the 5-minute price  (marked)
 *   input audio             at `input_audio`     → `input`             (marked)
 *   input image             at `input_image`     → `input`             (marked)
 *   reasoning               at `reasoning`       → `output`
 *   output audio            at `output_audio`    → `output`            (marked)
 *   output image            at `output_image`    → `output`            (marked)
 *   text output             at `output`
 *
 * "Marked" fallbacks are the ones where the provider is known to bill the part at its own
 * price and the table lacks it: the call is priced, and the result carries a note saying
 * which part was billed at which other price (pricing_status `fallback_rate`). The
 * unmarked ones are how providers bill when they have no separate price (OpenAI bills
 * reasoning as output, cache writes as input).
 *
 * Long-context tiers: a price may carry `above_<N>k` tiers (e.g. `above_200k`). When
 * input_tokens (the whole prompt) is strictly greater than N × 1000, every token of the call
 * is billed at the highest such tier; a field the tier lacks falls back to the base price
 * of that field, then to the fallbacks above.
 *
 * Service tiers: a price may carry `flex`, `priority` and `batch` prices, each with its own
 * fields and `above_<N>k` tiers. A call billed at service tier S uses, per field: S's
 * long-context tier, the standard long-context tier, S's own field, the standard field,
 * then the fallbacks above (resolved inside S first). A field found only in the standard
 * price is marked (the call was billed at S, the table only knows the standard price);
 * a model without any S price is billed at the standard price and marked. `default` (or
 * no tier) is the standard price.
 *
 * Clamping (invalid combinations are the validator's job; the price is never negative):
 * a negative or non-numeric count counts as 0; each part is capped at what is left of its
 * side, in the order above (cached, cache writes, audio, image; reasoning, audio, image);
 * 1-hour writes are capped at the cache writes. So at most input_tokens input-side tokens
 * and output_tokens output-side tokens are billed.
 *
 * Each part is Math.round(tokens × price × 1e12). The price is scaled to pico-USD per token
 * once, in decimal (from its shortest decimal representation), so a price with at most
 * 12 decimals gives an exact integer rate and exact integer parts; the total is the sum
 * of the parts.
 */

export interface TokenCounts {
  input_tokens?: number;
  output_tokens?: number;
  cached_input_tokens?: number;
  cache_write_tokens?: number;
  cache_write_1h_tokens?: number;
  reasoning_tokens?: number;
  input_audio_tokens?: number;
  output_audio_tokens?: number;
  input_image_tokens?: number;
  output_image_tokens?: number;
}

/** The service tier a call was billed at; null or `default` = the standard price. */
export type ServiceTier = 'default' | ServiceTierName;

/** Token kinds, one per billed part. */
export const KINDS = [
  'input',
  'cacheRead',
  'cacheWrite',
  'cacheWrite1h',
  'inputAudio',
  'inputImage',
  'output',
  'reasoning',
  'outputAudio',
  'outputImage',
] as const;
export type Kind = (typeof KINDS)[number];

const FIELD_OF: Readonly<Record<Kind, RateField>> = {
  input: 'input',
  cacheRead: 'cache_read',
  cacheWrite: 'cache_write',
  cacheWrite1h: 'cache_write_1h',
  inputAudio: 'input_audio',
  inputImage: 'input_image',
  output: 'output',
  reasoning: 'reasoning',
  outputAudio: 'output_audio',
  outputImage: 'output_image',
};

/** Where a kind without its own price is billed, and whether that is marked. */
const FALLBACK: Readonly<Record<Kind, readonly [Kind, boolean] | null>> = {
  input: null,
  output: null,
  cacheRead: ['input', false],
  cacheWrite: ['input', false],
  cacheWrite1h: ['cacheWrite', true],
  inputAudio: ['input', true],
  inputImage: ['input', true],
  reasoning: ['output', false],
  outputAudio: ['output', true],
  outputImage: ['output', true],
};

/** A compiled rate: pico-USD per token (NO_RATE = no price) and, when marked, why. */
export interface Rate {
  readonly pico: number;
  readonly note: string | null;
}

/** Rates of every kind, fallbacks applied; `noted`: some kind carries a note (else notes are skipped). */
export type RateSet = Readonly<Record<Kind, Rate>> & { readonly noted: boolean };

export interface TierRates {
  /** The tier applies when input_tokens > above. */
  readonly above: number;
  readonly name: string;
  readonly rates: RateSet;
}

/** A compiled price of one service tier: base rates and long-context tiers, highest `above` first. */
export interface TierPrice {
  readonly base: RateSet;
  readonly tiers: readonly TierRates[];
}

/** A compiled price: the standard one and, per service tier the table prices, that tier's. */
export interface Rates extends TierPrice {
  readonly service: Readonly<Partial<Record<ServiceTierName, TierPrice>>>;
}

export type CostBreakdown = Record<Kind, number>;

export type CostResult =
  | {
      readonly ok: true;
      readonly total: number;
      readonly breakdown: CostBreakdown;
      /** Marked fallbacks used for this call (empty when every part had its own price). */
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly code: 'missing_price' | 'out_of_range'; readonly reason: string };

export const NO_RATE = -1;
const PICO_EXPONENT = 12;

/** USD per token → pico-USD per token, scaled in decimal (3.75e-8 → 37500 exactly). */
export function usdToPicoRate(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`invalid price ${usd}`);
  if (usd === 0) return 0;
  const s = usd.toExponential();
  const e = s.indexOf('e');
  return Number(`${s.slice(0, e)}e${Number(s.slice(e + 1)) + PICO_EXPONENT}`);
}

/** One layer of prices searched for a field; `standard` layers are marked when a service tier is billed. */
interface Layer {
  readonly fields: RateFields | undefined;
  readonly standard: boolean;
  /** The long-context tier the layer is (`above_272k `), '' for a base price: names it in notes. */
  readonly label?: string;
}

function compileSet(layers: readonly Layer[], serviceTier: ServiceTierName | null): RateSet {
  const out = {} as Record<Kind, Rate>;
  const resolve = (kind: Kind): Rate => {
    const done = out[kind];
    if (done !== undefined) return done;
    const field = FIELD_OF[kind];
    let rate: Rate | undefined;
    for (const layer of layers) {
      const usd = layer.fields?.[field];
      if (usd === undefined) continue;
      const l = layer.label ?? '';
      const note = serviceTier !== null && layer.standard ? `${serviceTier}: no ${serviceTier} ${l}${field} price, billed at the standard ${l}${field} price` : null;
      rate = { pico: usdToPicoRate(usd), note };
      break;
    }
    if (rate === undefined) {
      const fb = FALLBACK[kind];
      if (fb === null) rate = { pico: NO_RATE, note: null };
      else {
        const [to, marked] = fb;
        const target = resolve(to);
        rate = { pico: target.pico, note: marked ? `no ${field} price, billed at the ${FIELD_OF[to]} price` : target.note };
      }
    }
    out[kind] = rate;
    return rate;
  };
  for (const kind of KINDS) resolve(kind);
  // One literal in a fixed key order: every RateSet shares one shape, so the hot path's
  // property reads stay monomorphic (resolve() fills `out` in dependency order).
  return Object.freeze({
    input: out.input,
    cacheRead: out.cacheRead,
    cacheWrite: out.cacheWrite,
    cacheWrite1h: out.cacheWrite1h,
    inputAudio: out.inputAudio,
    inputImage: out.inputImage,
    output: out.output,
    reasoning: out.reasoning,
    outputAudio: out.outputAudio,
    outputImage: out.outputImage,
    noted: KINDS.some((k) => out[k].note !== null),
  });
}

function tierKeys(...objects: (object | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const o of objects) {
    if (o === undefined) continue;
    for (const k of Object.keys(o)) if (TIER_KEY.test(k) && (o as Record<string, unknown>)[k] !== undefined) keys.add(k);
  }
  return [...keys];
}

function sortTiers(tiers: TierRates[]): TierRates[] {
  return tiers.sort((a, b) => b.above - a.above);
}

function tierOf(o: object | undefined, key: string): TierJson | undefined {
  return o === undefined ? undefined : ((o as Record<string, unknown>)[key] as TierJson | undefined);
}

/** Compiles a price (file format, USD per token) into pico-USD rates with fallbacks, tiers and service tiers resolved. */
export function compileRates(price: PriceJson): Rates {
  const tiers: TierRates[] = tierKeys(price).map((key) => ({
    above: Number(TIER_KEY.exec(key)![1]) * 1000,
    name: key,
    rates: compileSet([{ fields: tierOf(price, key), standard: false }, { fields: price, standard: false }], null),
  }));
  const service: Partial<Record<ServiceTierName, TierPrice>> = {};
  for (const s of SERVICE_TIERS) {
    const sp = price[s];
    if (sp === undefined) continue;
    const base = compileSet([{ fields: sp, standard: false }, { fields: price, standard: true }], s);
    const sTiers = tierKeys(price, sp).map((key) => ({
      above: Number(TIER_KEY.exec(key)![1]) * 1000,
      name: `${s}.${key}`,
      rates: compileSet(
        [
          { fields: tierOf(sp, key), standard: false },
          { fields: tierOf(price, key), standard: true, label: `${key} ` },
          { fields: sp, standard: false },
          { fields: price, standard: true },
        ],
        s,
      ),
    }));
    service[s] = { base, tiers: sortTiers(sTiers) };
  }
  return { base: compileSet([{ fields: price, standard: false }], null), tiers: sortTiers(tiers), service };
}

const MISSING_INPUT: CostResult = Object.freeze({ ok: false, code: 'missing_price', reason: 'no input price' });
const MISSING_OUTPUT: CostResult = Object.freeze({ ok: false, code: 'missing_price', reason: 'no output price' });
const OUT_OF_RANGE: CostResult = Object.freeze({ ok: false, code: 'out_of_range', reason: 'cost exceeds the exact integer range' });
const NO_NOTES: readonly string[] = Object.freeze([]);

function count(n: number | undefined): number {
  return n !== undefined && n > 0 ? n : 0; // NaN, negatives, undefined → 0
}

function part(tokens: number, picoRate: number): number {
  return tokens === 0 ? 0 : Math.round(tokens * picoRate);
}

/** Splits the counts into disjoint billed parts (see the clamping rule above). */
export function splitTokens(tokens: TokenCounts): Record<Kind, number> {
  const input = count(tokens.input_tokens);
  const output = count(tokens.output_tokens);
  const cacheRead = Math.min(count(tokens.cached_input_tokens), input);
  let left = input - cacheRead;
  const cacheWriteAll = Math.min(count(tokens.cache_write_tokens), left);
  left -= cacheWriteAll;
  const cacheWrite1h = Math.min(count(tokens.cache_write_1h_tokens), cacheWriteAll);
  const inputAudio = Math.min(count(tokens.input_audio_tokens), left);
  left -= inputAudio;
  const inputImage = Math.min(count(tokens.input_image_tokens), left);
  left -= inputImage;
  const reasoning = Math.min(count(tokens.reasoning_tokens), output);
  let outLeft = output - reasoning;
  const outputAudio = Math.min(count(tokens.output_audio_tokens), outLeft);
  outLeft -= outputAudio;
  const outputImage = Math.min(count(tokens.output_image_tokens), outLeft);
  outLeft -= outputImage;
  return {
    input: left,
    cacheRead,
    cacheWrite: cacheWriteAll - cacheWrite1h,
    cacheWrite1h,
    inputAudio,
    inputImage,
    output: outLeft,
    reasoning,
    outputAudio,
    outputImage,
  };
}

function pickTier(price: TierPrice, input: number): RateSet {
  const tiers = price.tiers;
  for (let i = 0; i < tiers.length; i++) if (input > tiers[i].above) return tiers[i].rates;
  return price.base;
}

/** Whether a part with tokens has no price (→ unpriced). */
function lacks(n: number, rate: Rate): boolean {
  return n > 0 && rate.pico < 0;
}

function addNote(notes: string[] | null, n: number, rate: Rate): string[] | null {
  if (n === 0 || rate.note === null) return notes;
  const out = notes ?? [];
  if (!out.includes(rate.note)) out.push(rate.note);
  return out;
}

/** The cost of one call at a compiled price, billed at `serviceTier` (null/`default`: standard). Pure. */
export function computeCost(rates: Rates, tokens: TokenCounts, serviceTier: ServiceTier | null = null): CostResult {
  let notes: string[] | null = null;
  let price: TierPrice = rates;
  if (serviceTier !== null && serviceTier !== 'default') {
    const sp = rates.service[serviceTier];
    if (sp !== undefined) price = sp;
    else notes = [`${serviceTier}: no ${serviceTier} price for this model, billed at the standard price`];
  }
  const r = pickTier(price, count(tokens.input_tokens));
  const n = splitTokens(tokens);
  if (lacks(n.input, r.input) || lacks(n.cacheRead, r.cacheRead) || lacks(n.cacheWrite, r.cacheWrite) || lacks(n.cacheWrite1h, r.cacheWrite1h)
    || lacks(n.inputAudio, r.inputAudio) || lacks(n.inputImage, r.inputImage)) {
    return MISSING_INPUT;
  }
  if (lacks(n.output, r.output) || lacks(n.reasoning, r.reasoning) || lacks(n.outputAudio, r.outputAudio) || lacks(n.outputImage, r.outputImage)) {
    return MISSING_OUTPUT;
  }
  const breakdown: CostBreakdown = {
    input: part(n.input, r.input.pico),
    cacheRead: part(n.cacheRead, r.cacheRead.pico),
    cacheWrite: part(n.cacheWrite, r.cacheWrite.pico),
    cacheWrite1h: part(n.cacheWrite1h, r.cacheWrite1h.pico),
    inputAudio: part(n.inputAudio, r.inputAudio.pico),
    inputImage: part(n.inputImage, r.inputImage.pico),
    output: part(n.output, r.output.pico),
    reasoning: part(n.reasoning, r.reasoning.pico),
    outputAudio: part(n.outputAudio, r.outputAudio.pico),
    outputImage: part(n.outputImage, r.outputImage.pico),
  };
  const total =
    breakdown.input + breakdown.cacheRead + breakdown.cacheWrite + breakdown.cacheWrite1h + breakdown.inputAudio + breakdown.inputImage +
    breakdown.output + breakdown.reasoning + breakdown.outputAudio + breakdown.outputImage;
  if (!Number.isSafeInteger(total)) return OUT_OF_RANGE;
  // Notes only where the call has tokens of a part billed at a fallback (most calls: none).
  if (r.noted) for (const kind of KINDS) notes = addNote(notes, n[kind], r[kind]);
  return { ok: true, total, breakdown, notes: notes ?? NO_NOTES };
}

/** Integer pico-USD → exact decimal USD string with 12 fraction digits (2500000 → "0.000002500000"). */
export function picoToDecimalString(pico: number): string {
  if (!Number.isSafeInteger(pico)) throw new RangeError(`expected a safe integer number of pico-USD, got ${pico}`);
  const neg = pico < 0;
  const digits = String(neg ? -pico : pico).padStart(PICO_EXPONENT + 1, '0');
  const cut = digits.length - PICO_EXPONENT;
  return `${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}
