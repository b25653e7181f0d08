import { TIER_KEY, type PriceJson, type TierJson } from './price-schema.ts';

/**
 * Cost of one call from its token counts and a price, in integer pico-USD (1e-12 USD).
 *
 * Token counts follow the OpenTelemetry GenAI convention: `input_tokens` INCLUDES
 * `cached_input_tokens` and `cache_write_tokens`; `output_tokens` INCLUDES
 * `reasoning_tokens`. Each subset is billed at its own price:
 *
 *   uncached input = input − cached − cache_write   at `input`
 *   cached input                                    at `cache_read`  (absent → `input`)
 *   cache write                                     at `cache_write` (absent → `input`)
 *   reasoning                                       at `reasoning`   (absent → `output`)
 *   remaining output = output − reasoning           at `output`
 *
 * Long-context tiers: a price may carry `above_<N>k` tiers (e.g. `above_200k`). When
 * input_tokens (the whole prompt, cached and cache-write included) is strictly greater
 * than N × 1000, every token of the call is billed at the highest such tier; a field the
 * tier lacks falls back to the base price of that field, then to the fallbacks above.
 *
 * Clamping (invalid combinations are the validator's job; the price is never negative):
 * a negative or non-numeric count counts as 0; cached is capped at input; cache_write at
 * input − cached; reasoning at output. So at most input_tokens input-side tokens and
 * output_tokens output-side tokens are billed.
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
  reasoning_tokens?: number;
}

/** Pico-USD per token for each token kind, fallbacks applied. NO_RATE (−1) = no price. */
export interface RateSet {
  readonly input: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
  readonly output: number;
  readonly reasoning: number;
}

export interface TierRates {
  /** The tier applies when input_tokens > above. */
  readonly above: number;
  readonly name: string;
  readonly rates: RateSet;
}

/** A compiled price: base rates and long-context tiers sorted by `above`, highest first. */
export interface Rates {
  readonly base: RateSet;
  readonly tiers: readonly TierRates[];
}

export interface CostBreakdown {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
}

export type CostResult =
  | { readonly ok: true; readonly total: number; readonly breakdown: CostBreakdown }
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

function rate(usd: number | undefined): number {
  return usd === undefined ? NO_RATE : usdToPicoRate(usd);
}

function firstRate(a: number, b: number): number {
  return a !== NO_RATE ? a : b;
}

function compileSet(
  own: { input?: number; output?: number; cache_read?: number; cache_write?: number; reasoning?: number },
  base: PriceJson | undefined,
): RateSet {
  // own field, then (for a tier) the base price's field, then the kind's fallback.
  const input = firstRate(rate(own.input), rate(base?.input));
  const output = firstRate(rate(own.output), rate(base?.output));
  return {
    input,
    output,
    cacheRead: firstRate(firstRate(rate(own.cache_read), rate(base?.cache_read)), input),
    cacheWrite: firstRate(firstRate(rate(own.cache_write), rate(base?.cache_write)), input),
    reasoning: firstRate(firstRate(rate(own.reasoning), rate(base?.reasoning)), output),
  };
}

/** Compiles a price (file format, USD per token) into pico-USD rates with fallbacks and tiers resolved. */
export function compileRates(price: PriceJson): Rates {
  const tiers: TierRates[] = [];
  const rec = price as unknown as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    const m = TIER_KEY.exec(key);
    if (m === null || rec[key] === undefined) continue;
    tiers.push({ above: Number(m[1]) * 1000, name: key, rates: compileSet(rec[key] as TierJson, price) });
  }
  tiers.sort((a, b) => b.above - a.above);
  return { base: compileSet(price, undefined), tiers };
}

const MISSING_INPUT: CostResult = Object.freeze({ ok: false, code: 'missing_price', reason: 'no input price' });
const MISSING_OUTPUT: CostResult = Object.freeze({ ok: false, code: 'missing_price', reason: 'no output price' });
const OUT_OF_RANGE: CostResult = Object.freeze({ ok: false, code: 'out_of_range', reason: 'cost exceeds the exact integer range' });

function count(n: number | undefined): number {
  return n !== undefined && n > 0 ? n : 0; // NaN, negatives, undefined → 0
}

function part(tokens: number, picoRate: number): number {
  return tokens === 0 ? 0 : Math.round(tokens * picoRate);
}

/** The cost of one call at a compiled price. Pure; allocates only the result. */
export function computeCost(rates: Rates, tokens: TokenCounts): CostResult {
  const input = count(tokens.input_tokens);
  const output = count(tokens.output_tokens);
  let r = rates.base;
  const tiers = rates.tiers;
  for (let i = 0; i < tiers.length; i++) {
    if (input > tiers[i].above) {
      r = tiers[i].rates;
      break;
    }
  }
  let cached = count(tokens.cached_input_tokens);
  if (cached > input) cached = input;
  let cacheWrite = count(tokens.cache_write_tokens);
  if (cacheWrite > input - cached) cacheWrite = input - cached;
  const uncached = input - cached - cacheWrite;
  let reasoning = count(tokens.reasoning_tokens);
  if (reasoning > output) reasoning = output;
  const plainOutput = output - reasoning;

  if ((uncached > 0 && r.input < 0) || (cached > 0 && r.cacheRead < 0) || (cacheWrite > 0 && r.cacheWrite < 0)) {
    return MISSING_INPUT;
  }
  if ((plainOutput > 0 && r.output < 0) || (reasoning > 0 && r.reasoning < 0)) return MISSING_OUTPUT;

  const pInput = part(uncached, r.input);
  const pCacheRead = part(cached, r.cacheRead);
  const pCacheWrite = part(cacheWrite, r.cacheWrite);
  const pOutput = part(plainOutput, r.output);
  const pReasoning = part(reasoning, r.reasoning);
  const total = pInput + pCacheRead + pCacheWrite + pOutput + pReasoning;
  if (!Number.isSafeInteger(total)) return OUT_OF_RANGE;
  return {
    ok: true,
    total,
    breakdown: { input: pInput, cacheRead: pCacheRead, cacheWrite: pCacheWrite, output: pOutput, reasoning: pReasoning },
  };
}

/** Integer pico-USD → exact decimal USD string with 12 fraction digits (2500000 → "0.000002500000"). */
export function picoToDecimalString(pico: number): string {
  if (!Number.isSafeInteger(pico)) throw new RangeError(`expected a safe integer number of pico-USD, got ${pico}`);
  const neg = pico < 0;
  const digits = String(neg ? -pico : pico).padStart(PICO_EXPONENT + 1, '0');
  const cut = digits.length - PICO_EXPONENT;
  return `${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}
