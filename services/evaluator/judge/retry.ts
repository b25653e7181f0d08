/** Pure retry decisions for the judge's HTTP client. */

/** 408, 429 and 5xx may succeed later; other statuses will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds ("120") or an HTTP date
 * ("Wed, 21 Oct 2015 07:28:00 GMT"); null when absent or unparseable. A date in the
 * past means "now" (0).
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (v === '') return null;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (!Number.isFinite(at)) return null;
  return Math.max(0, at - now);
}

/**
 * Exponential backoff with "equal jitter": attempt n waits between step/2 and step,
 * step = min(maxMs, baseMs · 2^(n-1)); the jitter spreads retries of concurrent calls.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.min(maxMs, Math.round(step / 2 + (step / 2) * random()));
}

/** The wait before the next attempt: the server's Retry-After if it sent one, else backoff; capped. */
export function retryDelayMs(opts: { attempt: number; retryAfterMs: number | null; baseMs: number; maxMs: number; random?: () => number }): number {
  if (opts.retryAfterMs !== null) return Math.min(opts.maxMs, opts.retryAfterMs);
  return backoffMs(opts.attempt, opts.baseMs, opts.maxMs, opts.random);
}
