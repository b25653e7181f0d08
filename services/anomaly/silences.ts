import { randomUUID } from 'node:crypto';
import type { Store } from '../core/store/store.ts';
import { compileGlob } from '../core/glob.ts';
import type { AlertKey } from './types.ts';

/**
 * Silences (POST /v1/silences): while active, matching alerts are still stored and
 * published, but not notified. A matcher left empty matches everything; the others are
 * globs (`*`, `?`) on the alert key. Stored in the `silences` table; expiring one early
 * writes a newer version with ends_at = now.
 */
export interface Silence {
  silence_id: string;
  rule: string;
  metric: string;
  feature: string;
  model: string;
  starts_at: number;
  ends_at: number;
  comment: string;
  created_by: string;
  created_at: number;
}

export type NewSilence = Omit<Silence, 'silence_id' | 'created_at'>;

/** Int64 epoch ms arrive as numeric strings in JSON. */
const ms = (v: unknown) => Number(v);

export function silenceMatches(s: Silence, key: AlertKey, at: number): boolean {
  if (at < s.starts_at || at >= s.ends_at) return false;
  return (['rule', 'metric', 'feature', 'model'] as const).every((f) => s[f] === '' || compileGlob(s[f])(key[f]));
}

export async function createSilence(store: Store, input: NewSilence, now: number): Promise<Silence> {
  const silence: Silence = { ...input, silence_id: randomUUID(), created_at: now };
  await store.insert('silences', [{ ...silence, version: now }], { dedupToken: `silence-${silence.silence_id}` });
  return silence;
}

/** Ends a silence now; false when there is no such silence. */
export async function expireSilence(store: Store, silenceId: string, now: number): Promise<Silence | null> {
  const [current] = await listSilences(store, { id: silenceId });
  if (!current) return null;
  const ended: Silence = { ...current, ends_at: Math.min(current.ends_at, now) };
  await store.insert('silences', [{ ...ended, version: now }], { dedupToken: `silence-${silenceId}-${now}` });
  return ended;
}

/** Silences still in force at `activeAt` (or every silence, or one by id). */
export async function listSilences(store: Store, filter: { activeAt?: number; id?: string } = {}): Promise<Silence[]> {
  const rows = await store.query<Record<string, unknown>>(
    // The latest version of each silence first (argMax), then the filters: a WHERE beside
    // FINAL could be pushed below the merge and match an older version.
    `SELECT silence_id, rule, metric, feature, model, starts_at, ends_at, comment, created_by, created_at FROM (
       SELECT silence_id, argMax(rule, version) AS rule, argMax(metric, version) AS metric, argMax(feature, version) AS feature,
              argMax(model, version) AS model, toUnixTimestamp64Milli(argMax(silences.starts_at, version)) AS starts_at,
              toUnixTimestamp64Milli(argMax(silences.ends_at, version)) AS ends_at, argMax(comment, version) AS comment,
              argMax(created_by, version) AS created_by, toUnixTimestamp64Milli(argMax(silences.created_at, version)) AS created_at
       FROM silences WHERE {id:String} = '' OR silence_id = {id:String} GROUP BY silence_id)
     WHERE {active:Int64} = 0 OR ends_at > {active:Int64}
     ORDER BY created_at DESC LIMIT 1000`,
    { id: filter.id ?? '', active: filter.activeAt ?? 0 },
  );
  return rows.map((r) => ({
    silence_id: String(r.silence_id),
    rule: String(r.rule),
    metric: String(r.metric),
    feature: String(r.feature),
    model: String(r.model),
    starts_at: ms(r.starts_at),
    ends_at: ms(r.ends_at),
    comment: String(r.comment),
    created_by: String(r.created_by),
    created_at: ms(r.created_at),
  }));
}
