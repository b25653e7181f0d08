/**
 * What to do after one delivery attempt. Pure, so the rules are tested without HTTP:
 *   2xx                   → delivered
 *   3xx                   → failed (redirects are not followed: a webhook that moved is
 *                           a configuration change, and following it could leave our network)
 *   408, 425, 429         → retry; 429 honours Retry-After
 *   5xx, network, timeout → retry with exponential backoff and jitter, capped
 *   other 4xx             → failed: the receiver rejected this payload and will again
 */
export type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status: number | null; error: string; retryAfterMs: number | null }
  | { kind: 'failed'; status: number | null; reason: string };

/** Classifies an HTTP answer; `bodySnippet` is kept in the failure reason for people to read. */
export function classifyResponse(status: number, retryAfter: string | null, bodySnippet: string, nowMs: number): Outcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const said = bodySnippet ? `: ${bodySnippet}` : '';
  if (status === 0 || (status >= 300 && status < 400)) return { kind: 'failed', status: status || null, reason: `HTTP ${status || 'redirect'}: redirect not followed` };
  if (status === 429 || status === 408 || status === 425) {
    return { kind: 'retry', status, error: `HTTP ${status}${said}`, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  }
  if (status >= 500) return { kind: 'retry', status, error: `HTTP ${status}${said}`, retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  return { kind: 'failed', status, reason: `HTTP ${status}${said}` };
}

/**
 * Retry-After as delay-seconds ("120") or an HTTP date; null when absent or unreadable.
 * A date in the past means "now" (0).
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
 * capped at maxMs, then "equal jitter" — between half and all of it — so many alerts
 * failing together do not retry in lockstep, and a retry is never almost immediate.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const random = opts.random ?? Math.random;
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 40));
  return Math.round(exp / 2 + random() * (exp / 2));
}
