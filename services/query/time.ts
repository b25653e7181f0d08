import {  } from '../core/time.ts';
/** Pure time helpers for the query API: parsing request instants, aligning ranges to
 * rollup buckets, and turning ClickHouse DateTime text into ISO-8601. All UTC. */


/** DateTime('UTC') covers 1970-01-01 .. 2106-02-07; stay well inside it. */
const MIN_MS = 0;
const MAX_MS = Date.UTC(2100, 0, 1);

// Date only, or date + time with optional seconds/fraction and optional offset.
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const EPOCH_MS_RE = /^\d{1,15}$/;

/**
 * Parses an instant given as epoch milliseconds (digits only) or ISO-8601. A date-time
 * without an offset is read as UTC (never the server's local zone), so the same URL
 * means the same range everywhere. Returns null when it is not a valid instant.
 */
export function parseInstant(text: string): number | null {
  const s = text.trim();
  let ms: number;
  if (EPOCH_MS_RE.test(s)) {
    ms = Number(s);
  } else if (ISO_RE.test(s)) {
    const hasTime = /[T ]/i.test(s);
    const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(s) && hasTime;
    const normalised = s.replace(' ', 'T');
    ms = Date.parse(hasTime && !hasOffset ? `${normalised}Z` : normalised);
    if (!Number.isFinite(ms) || !sameCalendarDate(s, ms, hasOffset)) return null;
  } else {
    return null;
  }
  return Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS ? ms : null;
}

/** Date.parse rolls 2024-02-30 over to March; reject such dates instead. */
function sameCalendarDate(s: string, ms: number, hasOffset: boolean): boolean {
  if (hasOffset) return true; // the offset may legitimately move the UTC date
  return new Date(ms).toISOString().slice(0, 10) === s.slice(0, 10);
}

export function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

export function ceilTo(ms: number, step: number): number {
  return Math.ceil(ms / step) * step;
}

/** '2024-05-01 10:00:00' or '2024-05-01 10:00:00.123' (UTC) → '2024-05-01T10:00:00.000Z'. */
export function clickhouseTimeToIso(value: string): string {
  const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : value;
}
