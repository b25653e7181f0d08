import { z } from 'zod';
import { defineQuery, runQuery } from '../../core/store/named-query.ts';
import type { Store } from '../../core/store/store.ts';
import type { DigestFeatureDay } from '../digest.ts';
import { num } from './row-values.ts';

/** The daily digest's own reads (the open alerts and budget spend come from open-alerts.ts and spend.ts). */

/** traces_1h.digest_day: per feature over [from, to) (epoch s), most expensive first. */
export const digestDay = defineQuery({
  name: 'traces_1h.digest_day',
  query: `SELECT feature, sum(requests) AS requests, toFloat64(sum(cost_usd_sum)) AS cost_usd, sum(errors) AS errors,
            quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[3] AS p95
     FROM traces_1h WHERE bucket >= toDateTime({from:UInt32}) AND bucket < toDateTime({to:UInt32})
     GROUP BY feature ORDER BY cost_usd DESC`,
  params: z.object({ from: z.number().int().nonnegative(), to: z.number().int().nonnegative() }),
  row: z
    .object({ feature: z.string(), requests: num, cost_usd: num, errors: num, p95: z.number().nullable() })
    .transform((r): DigestFeatureDay => ({ feature: r.feature, requests: r.requests, cost_usd: r.cost_usd, errors: r.errors, p95: r.requests > 0 ? Number(r.p95) : null })),
});

/** alerts.fired_by_metric: alerts that started firing in [from, to) (epoch ms), not covered by another, per metric. */
export const firedByMetric = defineQuery({
  name: 'alerts.fired_by_metric',
  query: `SELECT metric, count() AS n FROM alerts FINAL
     WHERE state = 'firing' AND previous != 'firing' AND covered_by = '' AND at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64})
     GROUP BY metric`,
  params: z.object({ from: z.number().int(), to: z.number().int() }),
  row: z.object({ metric: z.string(), n: num }),
});

/** The last 24 h before `now` per feature, from the hour rollup. */
export async function readDigestDay(store: Store, now: number): Promise<DigestFeatureDay[]> {
  const nowSec = Math.floor(now / 1000);
  return runQuery(store, digestDay, { from: nowSec - 86_400, to: nowSec });
}

/** How many alerts started firing per metric in the 24 h before `now`. */
export async function readFiredLast24h(store: Store, now: number): Promise<Record<string, number>> {
  const rows = await runQuery(store, firedByMetric, { from: now - 86_400_000, to: now });
  return Object.fromEntries(rows.map((r) => [r.metric, r.n]));
}
