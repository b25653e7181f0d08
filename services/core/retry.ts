/** Retry timing shared by every outbound HTTP client (Slack/webhook delivery, the LLM judge). */

/**
 * Retry-After as milliseconds from `nowMs`: delay-seconds ("120", or a fraction, rounded
 * up so a retry never comes earlier than asked) or an HTTP date ("Wed, 21 Oct 2015
 * 07:28:00 GMT"); null when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (/^\d+\.\d+$/.test(v)) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  if (!Number.isFinite(at)) return null;
  return Math.max(0, at - nowMs);
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1 → a delay; injectable for tests. */
  random?: () => number;
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failures (attempt >= 1): base·2^(attempt-1)
 * capped at maxMs, then "equal jitter" — between half and all of it — so many calls
 * failing together do not retry in lockstep, and a retry is never almost immediate.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const random = opts.random ?? Math.random;
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 40));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** The wait before the next attempt: the server's Retry-After if it sent one, else backoff; capped. */
export function retryDelayMs(opts: BackoffOptions & { attempt: number; retryAfterMs: number | null }): number {
  if (opts.retryAfterMs !== null) return Math.min(opts.maxMs, opts.retryAfterMs);
  return backoffDelay(opts.attempt, opts);
}
