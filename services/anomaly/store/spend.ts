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

/** At most this many users per per-user budget are judged each check (the ones spending most this month). */
export const MAX_BUDGET_USERS = 1_000;

/**
 * traces.user_spend: per user, spend today and this month (UTC) up to `now`, from the
 * model-call spans of `traces` (users are too many for a rollup keyed by them; this runs
 * once a minute, only when a per-user budget exists), only the users at or above the
 * given day or month amounts (the lowest that could warn), most spent first.
 */
export const userSpendSoFar = defineQuery({
  name: 'traces.user_spend',
  query: `SELECT user_id,
       toFloat64(sumIf(ifNull(cost_usd, 0), ts >= toStartOfDay(toDateTime({now:UInt32}, 'UTC')))) AS day_usd,
       toFloat64(sum(ifNull(cost_usd, 0))) AS month_usd
     FROM traces FINAL
     WHERE ts >= toStartOfMonth(toDateTime({now:UInt32}, 'UTC')) AND ts <= toDateTime({now:UInt32}, 'UTC')
       AND user_id != '' AND span_kind IN ('llm', 'embedding')
       AND ({feature:String} = '*' OR feature = {feature:String})
     GROUP BY user_id
     HAVING day_usd >= {day_min:Float64} OR month_usd >= {month_min:Float64}
     ORDER BY month_usd DESC, user_id
     LIMIT {limit:UInt32}`,
  params: z.object({ now: z.number().int().nonnegative(), feature: z.string(), day_min: z.number(), month_min: z.number(), limit: z.number().int().positive() }),
  row: z.object({ user_id: z.string(), day_usd: num, month_usd: num }),
});

/** The lowest spend that can warn under `budget` at `now`: the warn share, or less while the projection can still warn. */
export function warnFloor(budget: number | undefined, warnAt: number, projection: boolean, elapsed: number, minElapsed: number): number {
  if (budget === undefined) return 1e15; // no such period: nobody reaches it (a bound the store can bind)
  const share = projection && elapsed >= minElapsed ? Math.min(warnAt, elapsed) : warnAt;
  return budget * share;
}

/** For each per-user budget (by name), the users near or over it with their spend. */
export async function readUserSpend(
  store: Store,
  now: number,
  rules: readonly { name: string; feature: string; daily_usd?: number; monthly_usd?: number; warn_at: number; warn_on_projection: boolean }[],
  elapsed: { day: number; month: number; min: number },
): Promise<Map<string, Map<string, Spend>>> {
  const out = new Map<string, Map<string, Spend>>();
  for (const r of rules) {
    const rows = await runQuery(store, userSpendSoFar, {
      now: sec(now),
      feature: r.feature,
      day_min: warnFloor(r.daily_usd, r.warn_at, r.warn_on_projection, elapsed.day, elapsed.min),
      month_min: warnFloor(r.monthly_usd, r.warn_at, r.warn_on_projection, elapsed.month, elapsed.min),
      limit: MAX_BUDGET_USERS,
    });
    out.set(r.name, new Map(rows.map((u) => [u.user_id, { day_usd: u.day_usd, month_usd: u.month_usd }])));
  }
  return out;
}
