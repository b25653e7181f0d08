import { computeCost, type CostBreakdown, type ServiceTier, type TokenCounts } from './cost.ts';
import { createModelMatcher, type MatchHow, type ModelMatcher } from './model-matcher.ts';
import { checkAliases, priceAt, PriceTableError, type PriceTable } from './price-table.ts';

/**
 * Prices one LLM call: resolve the model (memoised), pick the price in force at the
 * event's timestamp, compute the integer pico-USD cost. An unknown model, a timestamp
 * before the model's first price, or a token kind the model has no price for gives
 * `unpriced` with a reason: never a cost of 0.
 */

export interface PriceRequest extends TokenCounts {
  model: string;
  provider?: string | null;
  timestampMs: number;
  /** The service tier the call was billed at; null/undefined/`default` = standard. */
  serviceTier?: ServiceTier | null;
}

export interface Priced {
  readonly status: 'priced';
  /** The price-table key the model matched. */
  readonly matchedModel: string;
  readonly how: MatchHow;
  /** `<table version>@<effective_from>` of the price used. */
  readonly priceVersion: string;
  /** Total cost in pico-USD (1e-12 USD), the exact sum of the breakdown. */
  readonly costPico: number;
  readonly breakdown: CostBreakdown;
  /**
   * Parts billed at a fallback price because the table lacks their own (a service tier
   * the model has no price for, a 1-hour cache write without a 1-hour price, audio or
   * image tokens without an audio or image price). Empty when every part had its own.
   */
  readonly notes: readonly string[];
}

export type UnpricedCode = 'unknown_model' | 'before_first_price' | 'missing_price' | 'invalid_timestamp' | 'out_of_range';

export interface Unpriced {
  readonly status: 'unpriced';
  readonly code: UnpricedCode;
  readonly reason: string;
  /** Set when the model matched but could not be priced. */
  readonly matchedModel?: string;
}

export type PriceResult = Priced | Unpriced;

export interface Pricer {
  price(req: PriceRequest): PriceResult;
  readonly version: string;
  readonly matcher: ModelMatcher;
}

export interface PricerOptions {
  /** Extra aliases (alias → table key); they win over the table's own aliases. */
  aliases?: Readonly<Record<string, string>>;
  memoLimit?: number;
}

function isoTime(t: number): string {
  return Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t);
}

export function createPricer(table: PriceTable, opts: PricerOptions = {}): Pricer {
  const aliases: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, table.aliases, opts.aliases);
  if (opts.aliases !== undefined) {
    const issues = checkAliases(opts.aliases, table.models);
    if (issues.length > 0) throw new PriceTableError('invalid pricer aliases', issues);
  }
  const matcher = createModelMatcher(table.models.keys(), { aliases, memoLimit: opts.memoLimit });
  const models = table.models;

  function price(req: PriceRequest): PriceResult {
    const match = matcher.resolve(req.model, req.provider);
    if (match === null) {
      const via = req.provider ? ` (provider ${JSON.stringify(req.provider)})` : '';
      return { status: 'unpriced', code: 'unknown_model', reason: `no price for model ${JSON.stringify(req.model)}${via}` };
    }
    const key = match.key;
    const t = req.timestampMs;
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      return { status: 'unpriced', code: 'invalid_timestamp', reason: `invalid timestamp ${String(t)}`, matchedModel: key };
    }
    const model = models.get(key)!;
    const point = priceAt(model, t);
    if (point === undefined) {
      return {
        status: 'unpriced',
        code: 'before_first_price',
        reason: `no price for ${JSON.stringify(key)} before ${model.points[0].effectiveFrom} (event at ${isoTime(t)})`,
        matchedModel: key,
      };
    }
    const cost = computeCost(point.rates, req, req.serviceTier ?? null);
    if (!cost.ok) {
      return { status: 'unpriced', code: cost.code, reason: `${JSON.stringify(key)}: ${cost.reason}`, matchedModel: key };
    }
    return {
      status: 'priced',
      matchedModel: key,
      how: match.how,
      priceVersion: point.version,
      costPico: cost.total,
      breakdown: cost.breakdown,
      notes: cost.notes,
    };
  }

  return { price, version: table.version, matcher };
}
