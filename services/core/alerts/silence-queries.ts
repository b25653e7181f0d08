import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineQuery, runQuery } from '../store/named-query.ts';
import type { Store } from '../store/store.ts';
import type { NewSilence, Silence } from './silences.ts';

/**
 * The `silences` table: every change is a new row version (ReplacingMergeTree(version));
 * expiring a silence early writes a newer version with ends_at = now.
 */

/** Int64 epoch ms arrive as numeric strings in JSON. */
const epochMs = z.coerce.number();

/** silences.list: silences still in force at `active` (0: every one), or one by `id` ('' : any). */
export const silenceList = defineQuery({
  name: 'silences.list',
  // The latest version of each silence first (argMax), then the filters: a WHERE beside
  // FINAL could be pushed below the merge and match an older version.
  query: `SELECT silence_id, rule, metric, feature, model, starts_at, ends_at, comment, created_by, created_at FROM (
       SELECT silence_id, argMax(rule, version) AS rule, argMax(metric, version) AS metric, argMax(feature, version) AS feature,
              argMax(model, version) AS model, toUnixTimestamp64Milli(argMax(silences.starts_at, version)) AS starts_at,
              toUnixTimestamp64Milli(argMax(silences.ends_at, version)) AS ends_at, argMax(comment, version) AS comment,
              argMax(created_by, version) AS created_by, toUnixTimestamp64Milli(argMax(silences.created_at, version)) AS created_at
       FROM silences WHERE {id:String} = '' OR silence_id = {id:String} GROUP BY silence_id)
     WHERE {active:Int64} = 0 OR ends_at > {active:Int64}
     ORDER BY created_at DESC LIMIT 1000`,
  params: z.object({ id: z.string(), active: z.number().int().nonnegative() }),
  row: z.object({
    silence_id: z.string(),
    rule: z.string(),
    metric: z.string(),
    feature: z.string(),
    model: z.string(),
    starts_at: epochMs,
    ends_at: epochMs,
    comment: z.string(),
    created_by: z.string(),
    created_at: epochMs,
  }) satisfies z.ZodType<Silence>,
});

export async function createSilence(store: Store, input: NewSilence, now: number): Promise<Silence> {
  const silence: Silence = { ...input, silence_id: randomUUID(), created_at: now };
  await store.insert('silences', [{ ...silence, version: now }], { dedupToken: `silence-${silence.silence_id}` });
  return silence;
}

/** Ends a silence now; null when there is no such silence. */
export async function expireSilence(store: Store, silenceId: string, now: number): Promise<Silence | null> {
  const [current] = await listSilences(store, { id: silenceId });
  if (!current) return null;
  const ended: Silence = { ...current, ends_at: Math.min(current.ends_at, now) };
  await store.insert('silences', [{ ...ended, version: now }], { dedupToken: `silence-${silenceId}-${now}` });
  return ended;
}

/** Silences still in force at `activeAt` (or every silence, or one by id). */
export async function listSilences(store: Store, filter: { activeAt?: number; id?: string } = {}): Promise<Silence[]> {
  return runQuery(store, silenceList, { id: filter.id ?? '', active: filter.activeAt ?? 0 });
}
