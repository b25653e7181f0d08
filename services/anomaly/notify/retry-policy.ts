import { parseRetryAfter } from '../../core/retry.ts';

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
