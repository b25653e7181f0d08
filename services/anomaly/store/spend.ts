import { z } from 'zod';
import { defineQuery, runQuery } from '../../core/store/named-query.ts';
import type { Store } from '../../core/store/store.ts';
import { ALL } from '../types.ts';
import { dimColumn, num, sec } from './row-values.ts';

/** What budgets are checked against: spend from the hour rollup (traces_1h). */

export interface Spend {
  day_usd: number;
  month_usd: number;
}

/** traces_1h.spend: spend today and this month (UTC) up to `now` (epoch s), per feature and in total (feature ''). */
export const spendSoFar = defineQuery({
  name: 'traces_1h.spend',
  query: `SELECT feature, toFloat64(sumIf(cost_usd_sum, bucket >= toStartOfDay(toDateTime({now:UInt32}, 'UTC')))) AS day_usd, toFloat64(sum(cost_usd_sum)) AS month_usd
     FROM traces_1h WHERE bucket >= toStartOfMonth(toDateTime({now:UInt32}, 'UTC')) AND bucket <= toDateTime({now:UInt32}, 'UTC')
     GROUP BY GROUPING SETS ((feature), ())`,
  params: z.object({ now: z.number().int().nonnegative() }),
  row: z.object({ feature: dimColumn, day_usd: num, month_usd: num }),
});

/** Spend so far today and this month (UTC) per feature, and in total under '*', from the hour rollup. */
export async function readSpend(store: Store, now: number): Promise<Map<string, Spend>> {
  return spendByFeature(await runQuery(store, spendSoFar, { now: sec(now) }));
}

/** The rows by feature; the total ('*') is there even when nothing was spent. */
export function spendByFeature(rows: readonly z.output<typeof spendSoFar.row>[]): Map<string, Spend> {
  const out = new Map<string, Spend>();
  for (const r of rows) out.set(r.feature, { day_usd: r.day_usd, month_usd: r.month_usd });
  if (!out.has(ALL)) out.set(ALL, { day_usd: 0, month_usd: 0 });
  return out;
}
