import { canonicalPrice } from './litellm-import.ts';
import { isIsoDate, type ModelJson, type PriceJson, type PriceTableFile } from './price-schema.ts';

/**
 * Refreshing an existing price table from a new snapshot without losing price history.
 * Pure: tables in, table + report out (scripts/import-prices.ts does the I/O).
 *
 * For each model of the fresh conversion (its single price, effective_from ignored):
 *  - in the existing table, price equal (every field, tiers included) to the model's newest
 *    existing price → unchanged: its prices are kept as they are;
 *  - in the existing table, price different → changed: the new price is appended, dated
 *    `effectiveFrom`; the older prices are kept, so events before that date keep being
 *    priced at the price in force then. `effectiveFrom` must be later than the model's
 *    newest existing date, otherwise the merge throws EffectiveDateError naming the models;
 *  - not in the existing table → added, dated `effectiveFrom` (a model that appears in a
 *    later snapshot has no known price before it; earlier events are unpriced
 *    `before_first_price` rather than priced at a price nobody said applied then).
 * A model of the existing table absent from the snapshot → removed: "no longer in the
 * source", its prices are kept (past and replayed events stay priced).
 * provider and mode come from the snapshot for every model it lists; the header
 * (version, source, source_updated, license) from the fresh table.
 *
 * Merging the table with a conversion of the same snapshot changes nothing: every model is
 * unchanged, whatever `effectiveFrom` is, so a re-run is a no-op byte for byte.
 */

/** effective_from of every price on a first import (or with --replace): no history, so "always". */
export const FIRST_IMPORT_DATE = '1970-01-01';

export interface PriceChange {
  model: string;
  /** The model's newest price before the merge. */
  from: PriceJson;
  /** The appended price, dated effectiveFrom. */
  to: PriceJson;
  /** Fields whose value differs, in file order (input, output, …, above_<N>k). */
  fields: string[];
}

export interface MergeReport {
  effectiveFrom: string;
  /** Models whose snapshot price equals their newest existing price. */
  unchanged: number;
  /** Sorted by model key (code-unit order). */
  changed: PriceChange[];
  /** Models new in the snapshot, sorted. */
  added: string[];
  /** Models of the existing table that the snapshot no longer lists (prices kept), sorted. */
  removed: string[];
  /** Models whose provider or mode the snapshot changed, sorted. */
  relabelled: string[];
}

export interface MergeOptions {
  /** YYYY-MM-DD: effective_from of changed and added models' new prices. */
  effectiveFrom: string;
}

export interface DateConflict {
  model: string;
  /** The model's newest existing effective_from, >= the requested date. */
  newest: string;
}

/** The requested effective date is not after the newest existing price of changed models. */
export class EffectiveDateError extends Error {
  readonly effectiveFrom: string;
  readonly conflicts: readonly DateConflict[];
  constructor(effectiveFrom: string, conflicts: readonly DateConflict[]) {
    const shown = conflicts
      .slice(0, 10)
      .map((c) => `${JSON.stringify(c.model)} (newest ${c.newest})`)
      .join(', ');
    const more = conflicts.length > 10 ? `, and ${conflicts.length - 10} more` : '';
    super(
      `effective date ${effectiveFrom} is not after the newest existing price of ${conflicts.length} changed model(s): ` +
        `${shown}${more}; pass a later --effective-from (or --replace to drop the history)`,
    );
    this.name = 'EffectiveDateError';
    this.effectiveFrom = effectiveFrom;
    this.conflicts = conflicts;
  }
}

/** `2026-07-24T18:23:43.215560+00:00` (or `2026-07-24`) → `2026-07-24`; undefined when absent or not a date. */
export function snapshotDate(sourceUpdated: string | undefined): string | undefined {
  if (sourceUpdated === undefined) return undefined;
  const date = sourceUpdated.slice(0, 10);
  if (!isIsoDate(date)) return undefined;
  return sourceUpdated.length === 10 || sourceUpdated[10] === 'T' || sourceUpdated[10] === ' ' ? date : undefined;
}

/** `{effective_from, ...}` without effective_from, canonical order: what "same price" compares. */
function priceBody(p: PriceJson): Record<string, unknown> {
  const c = canonicalPrice(p);
  delete c.effective_from;
  return c;
}

/** Fields (other than effective_from) whose values differ between two prices, in file order. */
export function changedFields(a: PriceJson, b: PriceJson): string[] {
  const ca = priceBody(a);
  const cb = priceBody(b);
  const all = Object.keys(canonicalPrice({ ...ca, ...cb } as unknown as PriceJson)); // the union, in file order
  return all.filter((k) => JSON.stringify(ca[k]) !== JSON.stringify(cb[k]));
}

export function samePrice(a: PriceJson, b: PriceJson): boolean {
  return JSON.stringify(priceBody(a)) === JSON.stringify(priceBody(b));
}

function byDate(prices: readonly PriceJson[]): PriceJson[] {
  return [...prices].sort((a, b) => (a.effective_from < b.effective_from ? -1 : a.effective_from > b.effective_from ? 1 : 0));
}

function withMeta(provider: string, mode: string | undefined, prices: PriceJson[]): ModelJson {
  return mode === undefined ? { provider, prices } : { provider, mode, prices };
}

/**
 * Merges a fresh conversion (one price per model, as convertLiteLLM makes it; its
 * effective_from is ignored) into the existing table. Does not modify its arguments.
 * Throws EffectiveDateError when a changed model's newest existing date is >= effectiveFrom.
 */
export function mergePriceTables(
  existing: PriceTableFile,
  fresh: PriceTableFile,
  opts: MergeOptions,
): { table: PriceTableFile; report: MergeReport } {
  const { effectiveFrom } = opts;
  if (!isIsoDate(effectiveFrom)) throw new Error(`effective_from: expected YYYY-MM-DD, got ${JSON.stringify(effectiveFrom)}`);
  const report: MergeReport = { effectiveFrom, unchanged: 0, changed: [], added: [], removed: [], relabelled: [] };
  const conflicts: DateConflict[] = [];
  const models: Record<string, ModelJson> = {};
  const has = (rec: Record<string, ModelJson>, key: string): boolean => Object.prototype.hasOwnProperty.call(rec, key);

  for (const key of Object.keys(fresh.models).sort()) {
    const f = fresh.models[key];
    const latest = byDate(f.prices).at(-1);
    if (latest === undefined) throw new Error(`fresh table: model ${JSON.stringify(key)} has no price`);
    const next = { ...canonicalPrice(latest), effective_from: effectiveFrom } as unknown as PriceJson;
    const history = has(existing.models, key) ? byDate(existing.models[key].prices) : [];
    const newest = history.at(-1);
    if (newest === undefined) {
      models[key] = withMeta(f.provider, f.mode, [next]);
      report.added.push(key);
      continue;
    }
    const e = existing.models[key];
    if (e.provider !== f.provider || e.mode !== f.mode) report.relabelled.push(key);
    if (samePrice(newest, latest)) {
      models[key] = withMeta(f.provider, f.mode, history);
      report.unchanged++;
      continue;
    }
    if (newest.effective_from >= effectiveFrom) {
      conflicts.push({ model: key, newest: newest.effective_from });
      continue;
    }
    models[key] = withMeta(f.provider, f.mode, [...history, next]);
    report.changed.push({ model: key, from: newest, to: next, fields: changedFields(newest, next) });
  }
  if (conflicts.length > 0) throw new EffectiveDateError(effectiveFrom, conflicts);

  for (const key of Object.keys(existing.models).sort()) {
    if (has(fresh.models, key)) continue;
    const e = existing.models[key];
    models[key] = withMeta(e.provider, e.mode, byDate(e.prices));
    report.removed.push(key);
  }

  const table: PriceTableFile = {
    format: 1,
    version: fresh.version,
    source: fresh.source,
    ...(fresh.source_updated !== undefined ? { source_updated: fresh.source_updated } : {}),
    license: fresh.license,
    models,
  };
  return { table, report };
}

function num(v: unknown): string {
  return typeof v === 'number' ? String(v) : '—';
}

/** `gpt-4o: input 0.0000025→0.000002, output 0.00001 (changed: input, cache_read)`: for the importer's report. */
export function formatChange(c: PriceChange): string {
  const part = (field: 'input' | 'output'): string => {
    const a = c.from[field];
    const b = c.to[field];
    return a === b ? `${field} ${num(a)}` : `${field} ${num(a)}→${num(b)}`;
  };
  return `${c.model}: ${part('input')}, ${part('output')} (changed: ${c.fields.join(', ')})`;
}
