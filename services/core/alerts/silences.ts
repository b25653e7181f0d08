import { compileGlob } from '../glob.ts';

/**
 * Silences (POST /v1/silences): while active, matching alerts are still stored and
 * published, but not notified. A matcher left empty matches everything; the others are
 * globs (`*`, `?`) on the alert key. Stored in the `silences` table (silence-queries.ts);
 * the query API writes them, the anomaly service reads them before it notifies.
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

/** The fields of an alert's key a silence matches on (the anomaly service's AlertKey has them). */
export interface SilencedKey {
  rule: string;
  metric: string;
  feature: string;
  model: string;
}

export function silenceMatches(s: Silence, key: SilencedKey, at: number): boolean {
  if (at < s.starts_at || at >= s.ends_at) return false;
  return (['rule', 'metric', 'feature', 'model'] as const).every((f) => s[f] === '' || compileGlob(s[f])(key[f]));
}
