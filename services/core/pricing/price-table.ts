import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ErrorCodes, PipelineError } from '../errors.ts';
import { compileRates, type Rates } from './cost.ts';
import {
  formatIssues,
  isoDateToMs,
  overridesFileSchema,
  priceTableFileSchema,
  type OverridesFile,
  type PriceJson,
  type PriceTableFile,
} from './price-schema.ts';

/**
 * The price table in memory: the imported table (schemas/pricing/prices.json) with a
 * user's overrides merged in, each dated price compiled for the hot path.
 *
 * Merge rules for an override of model M:
 *  - M not in the table: M is added (provider defaults to "custom").
 *  - `replace: true`: M's prices become exactly the override's prices.
 *  - otherwise the override's dated prices are merged into M's list: a price with the
 *    same effective_from replaces the table's one, the others are added; the list is
 *    kept sorted by effective_from.
 * The price in force at time t is the last one with effective_from <= t
 * (effective_from is 00:00 UTC of that date).
 */

export type { OverridesFile, PriceJson, PriceTableFile } from './price-schema.ts';

export interface PricePoint {
  readonly effectiveFrom: string;
  readonly effectiveFromMs: number;
  /** `<table version>@<effective_from>`, precomputed for the enriched event. */
  readonly version: string;
  readonly origin: 'table' | 'override';
  readonly price: PriceJson;
  readonly rates: Rates;
}

export interface ModelPrices {
  readonly key: string;
  readonly provider: string;
  readonly mode: string | undefined;
  /** Sorted by effectiveFromMs ascending. */
  readonly points: readonly PricePoint[];
}

export interface PriceTable {
  /** The table's version, plus `+overrides-<hash>` when an overrides file was merged. */
  readonly version: string;
  readonly source: string;
  readonly license: string;
  readonly models: ReadonlyMap<string, ModelPrices>;
  /** alias → table key (from the overrides file). */
  readonly aliases: Readonly<Record<string, string>>;
}

export class PriceTableError extends PipelineError {
  readonly issues: readonly string[];
  constructor(what: string, issues: readonly string[], cause?: unknown) {
    super(ErrorCodes.CONFIG_INVALID, `${what}:\n  ${issues.join('\n  ')}`, { cause });
    this.name = 'PriceTableError';
    this.issues = issues;
  }
}

/** Validates a parsed prices.json; throws PriceTableError naming each bad path. */
export function parsePriceTableFile(json: unknown, label = 'price table'): PriceTableFile {
  const r = priceTableFileSchema.safeParse(json);
  if (!r.success) throw new PriceTableError(`invalid ${label}`, formatIssues(r.error.issues));
  return r.data;
}

/** Validates a parsed overrides file; throws PriceTableError naming each bad path. */
export function parseOverridesFile(json: unknown, label = 'price overrides'): OverridesFile {
  const r = overridesFileSchema.safeParse(json);
  if (!r.success) throw new PriceTableError(`invalid ${label}`, formatIssues(r.error.issues));
  return r.data;
}

interface Draft {
  provider: string;
  mode: string | undefined;
  prices: { price: PriceJson; origin: 'table' | 'override' }[];
}

function mergePrices(draft: Draft, prices: readonly PriceJson[], replace: boolean): void {
  if (replace) draft.prices = [];
  for (const price of prices) {
    const at = draft.prices.findIndex((p) => p.price.effective_from === price.effective_from);
    const entry = { price, origin: 'override' as const };
    if (at >= 0) draft.prices[at] = entry;
    else draft.prices.push(entry);
  }
  draft.prices.sort((a, b) => (a.price.effective_from < b.price.effective_from ? -1 : a.price.effective_from > b.price.effective_from ? 1 : 0));
}

function overridesHash(overrides: OverridesFile): string {
  return createHash('sha256').update(JSON.stringify(overrides)).digest('hex').slice(0, 8);
}

/**
 * Builds the in-memory table from a validated table file and optional validated
 * overrides. Pure. Throws PriceTableError when an alias points at no model.
 */
export function buildPriceTable(base: PriceTableFile, overrides?: OverridesFile, overridesLabel = 'price overrides'): PriceTable {
  const drafts = new Map<string, Draft>();
  for (const key of Object.keys(base.models)) {
    const m = base.models[key];
    const d: Draft = { provider: m.provider, mode: m.mode, prices: m.prices.map((price) => ({ price, origin: 'table' as const })) };
    mergePrices(d, [], false); // sort
    drafts.set(key, d);
  }
  const hasOverrides = overrides !== undefined && (overrides.models !== undefined || overrides.aliases !== undefined);
  if (overrides?.models !== undefined) {
    for (const key of Object.keys(overrides.models)) {
      const o = overrides.models[key];
      let d = drafts.get(key);
      if (d === undefined) {
        d = { provider: o.provider ?? 'custom', mode: o.mode, prices: [] };
        drafts.set(key, d);
      } else {
        if (o.provider !== undefined) d.provider = o.provider;
        if (o.mode !== undefined) d.mode = o.mode;
      }
      mergePrices(d, o.prices, o.replace === true);
    }
  }
  const version = hasOverrides ? `${base.version}+overrides-${overridesHash(overrides as OverridesFile)}` : base.version;

  const models = new Map<string, ModelPrices>();
  for (const [key, d] of drafts) {
    const points: PricePoint[] = d.prices.map(({ price, origin }) => ({
      effectiveFrom: price.effective_from,
      effectiveFromMs: isoDateToMs(price.effective_from),
      version: `${version}@${price.effective_from}`,
      origin,
      price,
      rates: compileRates(price),
    }));
    models.set(key, { key, provider: d.provider, mode: d.mode, points });
  }

  const aliases: Record<string, string> = Object.create(null);
  const aliasIssues = checkAliases(overrides?.aliases ?? {}, models);
  if (aliasIssues.length > 0) throw new PriceTableError(`invalid ${overridesLabel}`, aliasIssues);
  for (const [alias, target] of Object.entries(overrides?.aliases ?? {})) aliases[alias] = target;

  return { version, source: base.source, license: base.license, models, aliases: Object.freeze(aliases) };
}

/** Problems with aliases: a target that is not a table key, an alias that is itself a key (it would never apply). */
export function checkAliases(aliases: Readonly<Record<string, string>>, models: ReadonlyMap<string, unknown>): string[] {
  const issues: string[] = [];
  for (const [alias, target] of Object.entries(aliases)) {
    if (!models.has(target)) issues.push(`aliases[${JSON.stringify(alias)}]: target model ${JSON.stringify(target)} is not in the price table`);
    if (models.has(alias)) {
      issues.push(`aliases[${JSON.stringify(alias)}]: ${JSON.stringify(alias)} is already a price-table model, so the alias would never apply (override the model instead)`);
    }
  }
  return issues;
}

/** The price of a model in force at tMs: the last with effective_from <= tMs; undefined before the first. */
export function priceAt(model: ModelPrices, tMs: number): PricePoint | undefined {
  const points = model.points;
  for (let i = points.length - 1; i >= 0; i--) {
    if (points[i].effectiveFromMs <= tMs) return points[i];
  }
  return undefined;
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PriceTableError(`cannot read ${what} ${file}`, [(err as Error).message], err);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PriceTableError(`invalid ${what} ${file}`, [`not valid JSON: ${(err as Error).message}`], err);
  }
}

/** Reads, validates and merges the price table and an optional overrides file (the only I/O here). */
export function loadPriceTable(opts: { baseFile: string; overridesFile?: string }): PriceTable {
  const base = parsePriceTableFile(readJson(opts.baseFile, 'price table'), `price table ${opts.baseFile}`);
  const overrides =
    opts.overridesFile === undefined || opts.overridesFile === ''
      ? undefined
      : parseOverridesFile(readJson(opts.overridesFile, 'price overrides'), `price overrides ${opts.overridesFile}`);
  return buildPriceTable(base, overrides, `price overrides ${opts.overridesFile}`);
}
