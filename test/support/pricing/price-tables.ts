import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPriceTable, type PriceTable } from '../../../services/core/pricing/price-table.ts';

/** Paths and a cached load of the committed price table, for the pricing tests. */

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const PRICES_JSON = resolve(repoRoot, 'schemas/pricing/prices.json');
export const OVERRIDES_EXAMPLE = resolve(repoRoot, 'schemas/pricing/overrides.example.json');
export const LITELLM_SNAPSHOT = resolve(repoRoot, '../shared/data/model_prices.json');

let cached: PriceTable | undefined;

export function realTable(): PriceTable {
  cached ??= loadPriceTable({ baseFile: PRICES_JSON });
  return cached;
}
