import type { Store } from '../core/store/store.ts';
import type { AlertsFile } from './config/alerts-file.ts';
import type { DigestBudget, DigestInput } from './digest.ts';
import { readDigestDay, readFiredLast24h } from './store/digest-queries.ts';
import { readOpenAlerts } from './store/open-alerts.ts';
import { readSpend } from './store/spend.ts';
import { ALL } from './types.ts';

/**
 * Gathers what the daily digest words (digest.ts): the last 24 h per feature from the
 * hour rollup, alerts that started firing in that window, the alerts open now, and every
 * budget's spend in its current period.
 */
export async function readDigestInput(store: Store, file: AlertsFile, now: number): Promise<DigestInput> {
  const day = await readDigestDay(store, now);
  const firedLast24h = await readFiredLast24h(store, now);
  const open = await readOpenAlerts(store);
  const spend = file.budgets.length > 0 ? await readSpend(store, now) : new Map();
  // A per-user budget has no one figure to show (its alerts name the users over it).
  const budgets: DigestBudget[] = file.budgets.filter((b) => b.per !== 'user').flatMap((b) => {
    const s = spend.get(b.feature === ALL ? ALL : b.feature) ?? { day_usd: 0, month_usd: 0 };
    return [
      ...(b.daily_usd !== undefined ? [{ name: b.name, spent: s.day_usd, budget: b.daily_usd, period: 'daily' as const }] : []),
      ...(b.monthly_usd !== undefined ? [{ name: b.name, spent: s.month_usd, budget: b.monthly_usd, period: 'monthly' as const }] : []),
    ];
  });
  return {
    now,
    day,
    open: open.filter((e) => !e.covered_by),
    firedLast24h,
    budgets,
    queryApiUrl: file.query_api_url,
  };
}
