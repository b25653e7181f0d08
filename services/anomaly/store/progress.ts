import { z } from 'zod';
import { defineQuery, runQuery } from '../../core/store/named-query.ts';
import type { Store } from '../../core/store/store.ts';
import { num, sec } from './row-values.ts';

/** The last minute each consumer group judged (`anomaly_progress`), so a restart judges only the minutes after it. */

/** anomaly_progress.last: the group's latest closed_through (epoch ms); no row on a first start. */
export const lastJudgedMinute = defineQuery({
  name: 'anomaly_progress.last',
  query: `SELECT toInt64(toUnixTimestamp(argMax(closed_through, updated_at))) * 1000 AS closed_through FROM anomaly_progress WHERE consumer_group = {group:String} HAVING count() > 0`,
  params: z.object({ group: z.string() }),
  row: z.object({ closed_through: num }),
});

/** The last minute this consumer group judged, or null on a first start. */
export async function readProgress(store: Store, group: string): Promise<number | null> {
  const rows = await runQuery(store, lastJudgedMinute, { group });
  return rows.length > 0 ? rows[0].closed_through : null;
}

export async function writeProgress(store: Store, group: string, minute: number): Promise<void> {
  await store.insert('anomaly_progress', [{ consumer_group: group, closed_through: sec(minute), updated_at: Date.now() }], { dedupToken: `progress-${group.replace(/[^A-Za-z0-9_.:-]/g, '_')}-${minute}` });
}
