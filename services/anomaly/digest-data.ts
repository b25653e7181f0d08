import type { Store } from '../core/store/store.ts';
import type { AlertsFile } from './config/alerts-file.ts';
import type { DigestBudget, DigestInput } from './digest.ts';
import { readOpenAlerts, readSpend } from './history.ts';
import { ALL } from './types.ts';

/**
 * Gathers what the daily digest words (digest.ts): the last 24 h per feature from the
 * hour rollup, alerts that started firing in that window, the alerts open now, and every
 * budget's spend in its current period. Every value is bound.
 */
export async function readDigestInput(store: Store, file: AlertsFile, now: number): Promise<DigestInput> {
  const nowSec = Math.floor(now / 1000);
  const day = await store.query<{ feature: string; requests: string | number; cost_usd: number; errors: string | number; p95: number }>(
    `SELECT feature, sum(requests) AS requests, toFloat64(sum(cost_usd_sum)) AS cost_usd, sum(errors) AS errors,
            quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q)[3] AS p95
     FROM traces_1h WHERE bucket >= toDateTime({from:UInt32}) AND bucket < toDateTime({to:UInt32})
     GROUP BY feature ORDER BY cost_usd DESC`,
    { from: nowSec - 86_400, to: nowSec },
  );
  const fired = await store.query<{ metric: string; n: string | number }>(
    `SELECT metric, count() AS n FROM alerts FINAL
     WHERE state = 'firing' AND previous != 'firing' AND covered_by = '' AND at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64})
     GROUP BY metric`,
    { from: now - 86_400_000, to: now },
  );
  const open = await readOpenAlerts(store);
  const spend = file.budgets.length > 0 ? await readSpend(store, now) : new Map();
  const budgets: DigestBudget[] = file.budgets.flatMap((b) => {
    const s = spend.get(b.feature === ALL ? ALL : b.feature) ?? { day_usd: 0, month_usd: 0 };
    return [
      ...(b.daily_usd !== undefined ? [{ name: b.name, spent: s.day_usd, budget: b.daily_usd, period: 'daily' as const }] : []),
      ...(b.monthly_usd !== undefined ? [{ name: b.name, spent: s.month_usd, budget: b.monthly_usd, period: 'monthly' as const }] : []),
    ];
  });
  return {
    now,
    day: day.map((r) => ({ feature: r.feature, requests: Number(r.requests), cost_usd: Number(r.cost_usd), errors: Number(r.errors), p95: Number(r.requests) > 0 ? Number(r.p95) : null })),
    open: open.filter((e) => !e.covered_by),
    firedLast24h: Object.fromEntries(fired.map((r) => [r.metric, Number(r.n)])),
    budgets,
    queryApiUrl: file.query_api_url,
  };
}
