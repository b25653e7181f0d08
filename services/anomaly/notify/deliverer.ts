import type { Logger } from '../../core/logger.ts';
import type { Outbox, OutboxItem } from './outbox.ts';
import { backoffDelay } from '../../core/retry.ts';
import { classifyResponse, type Outcome } from './retry-policy.ts';
import { checkTarget, type Resolver } from './target-check.ts';
import { IDEMPOTENCY_HEADER } from './webhook-payload.ts';

/**
 * Sends what the outbox holds. Per receiver, one request at a time and always the
 * oldest pending item first, so a "resolved" never overtakes its "firing"; receivers
 * do not wait for each other. Outcomes go back into the outbox (durably) before the
 * next send, so a restart resumes with the same attempt counts and next_at.
 *
 * A crash after a 2xx but before markDelivered is on disk re-sends that item after the
 * restart (see outbox.ts); webhooks can drop it by its Idempotency-Key, Slack cannot.
 *
 * The receiver URL is a secret (Slack webhook URLs grant posting rights): it is never
 * logged nor stored in the outbox; logs and failure reasons name the receiver only.
 */
export interface DeliveryReceiver {
  name: string;
  type: 'slack' | 'webhook';
  url: string;
  allowPrivate: boolean;
}

export interface DelivererOptions {
  outbox: Outbox;
  receivers: readonly DeliveryReceiver[];
  fetch?: typeof fetch;
  now?: () => number;
  log: Logger;
  /** Attempts before giving up. Default 600: about 48 h at the 5-minute backoff cap. */
  maxAttempts?: number;
  /** First retry delay (before jitter). Default 1 s. */
  baseBackoffMs?: number;
  /** Backoff cap. Default 5 min. */
  maxBackoffMs?: number;
  /** Longest Retry-After honoured (a larger one is cut to this). Default 1 h. */
  maxRetryAfterMs?: number;
  /** Per request, including reading the answer. Default 10 s. */
  timeoutMs?: number;
  /** Host name lookup for the private-address check; default the system resolver. */
  resolver?: Resolver;
  random?: () => number;
}

export interface DelivererStats {
  in_flight: number;
  delivered: number;
  failed: number;
  retries: number;
  refused: number;
}

export interface Deliverer {
  start(): void;
  /** Stops scheduling and waits for requests in flight (bounded by timeoutMs). */
  stop(): Promise<void>;
  /** Look at the outbox now (after new items were added) instead of at the next timer. */
  kick(): void;
  stats(): DelivererStats;
}

/** Longest sleep between outbox checks, so a wall-clock jump never strands an item. */
const MAX_SLEEP_MS = 60_000;
const SNIPPET_BYTES = 1024;
const BOOKKEEPING_HOLD_MS = 5000;
const SNIPPET_CHARS = 200;

export function createDeliverer(options: DelivererOptions): Deliverer {
  const { outbox, log } = options;
  const fetchFn = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 600;
  const backoff = { baseMs: options.baseBackoffMs ?? 1000, maxMs: options.maxBackoffMs ?? 5 * 60_000, random: options.random };
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 3600_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const receivers = new Map(options.receivers.map((r) => [r.name, r]));
  const inFlight = new Map<string, Promise<void>>();
  /** Receivers whose last bookkeeping failed (e.g. disk full): wait before trying again instead of spinning. */
  const holdUntil = new Map<string, number>();
  const counters = { delivered: 0, failed: 0, retries: 0, refused: 0 };
  let running = false;
  let timer: NodeJS.Timeout | undefined;

  function schedule(delayMs: number): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(pump, Math.min(Math.max(0, delayMs), MAX_SLEEP_MS));
    timer.unref();
  }

  /** Starts a send for every receiver whose oldest pending item is due and that has nothing in flight. */
  function pump(): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    const t = now();
    const heads = new Map<string, OutboxItem>();
    for (const item of outbox.pending()) if (!heads.has(item.receiver)) heads.set(item.receiver, item);
    let next: number | null = null;
    for (const [name, item] of heads) {
      if (inFlight.has(name)) continue;
      const dueAt = Math.max(item.next_at, holdUntil.get(name) ?? 0);
      if (dueAt > t) {
        next = next === null ? dueAt : Math.min(next, dueAt);
        continue;
      }
      holdUntil.delete(name);
      const p = deliver(item)
        .catch((err: unknown) => {
          holdUntil.set(name, now() + BOOKKEEPING_HOLD_MS);
          log.error({ err, receiver: name, delivery_id: item.id }, 'alert delivery bookkeeping failed; holding this receiver');
        })
        .finally(() => {
          inFlight.delete(name);
          pump();
        });
      inFlight.set(name, p);
    }
    if (next !== null) schedule(next - t);
  }

  async function deliver(item: OutboxItem): Promise<void> {
    const receiver = receivers.get(item.receiver);
    const ctx = { receiver: item.receiver, delivery_id: item.id };
    if (!receiver) {
      outbox.markFailed(item.id, `receiver "${item.receiver}" is no longer configured`);
      counters.failed++;
      log.warn(ctx, 'alert dropped: its receiver is no longer configured');
      return;
    }
    const attempt = item.attempt + 1;
    let outcome: Outcome;
    const target = await checkTarget(receiver.url, receiver.allowPrivate, options.resolver);
    if (!target.ok && !target.retry) {
      outbox.markFailed(item.id, target.reason);
      counters.refused++;
      counters.failed++;
      log.error({ ...ctx, reason: target.reason }, 'alert not sent: receiver target refused');
      return;
    }
    outcome = target.ok ? await post(receiver, item) : { kind: 'retry', status: null, error: target.reason, retryAfterMs: null };

    if (outcome.kind === 'delivered') {
      outbox.markDelivered(item.id, outcome.status);
      counters.delivered++;
      log.info({ ...ctx, attempt, status: outcome.status }, 'alert delivered');
    } else if (outcome.kind === 'failed') {
      outbox.markFailed(item.id, outcome.reason, outcome.status);
      counters.failed++;
      log.error({ ...ctx, attempt, status: outcome.status, reason: outcome.reason }, 'alert delivery failed; not retrying');
    } else if (attempt >= maxAttempts) {
      outbox.markFailed(item.id, `gave up after ${attempt} attempts; last error: ${outcome.error}`, outcome.status);
      counters.failed++;
      log.error({ ...ctx, attempt, status: outcome.status, error: outcome.error }, 'alert delivery failed; giving up');
    } else {
      const delay = outcome.retryAfterMs !== null ? Math.min(outcome.retryAfterMs, maxRetryAfterMs) : backoffDelay(attempt, backoff);
      outbox.markAttempt(item.id, attempt, now() + delay, outcome.error);
      counters.retries++;
      log.warn({ ...ctx, attempt, status: outcome.status, error: outcome.error, retry_in_ms: delay }, 'alert delivery failed; will retry');
    }
  }

  async function post(receiver: DeliveryReceiver, item: OutboxItem): Promise<Outcome> {
    try {
      const res = await fetchFn(receiver.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [IDEMPOTENCY_HEADER]: item.id, 'user-agent': 'llm-trace-pipeline-anomaly/1' },
        body: JSON.stringify(item.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const snippet = await readSnippet(res);
      return classifyResponse(res.status, res.headers.get('retry-after'), snippet, now());
    } catch (err) {
      return { kind: 'retry', status: null, error: describeError(err, receiver.url), retryAfterMs: null };
    }
  }

  function describeError(err: unknown, url: string): string {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    let text = e?.name === 'TimeoutError' || e?.name === 'AbortError' ? `timed out after ${timeoutMs} ms` : `${e?.message ?? String(err)}${e?.cause ? `: ${e.cause.code ?? e.cause.message ?? ''}` : ''}`;
    // Belt and braces: never let the secret URL reach logs or the outbox through an error text.
    let path = '';
    try {
      path = new URL(url).pathname;
    } catch {
      // not a URL: checkTarget refused it already
    }
    text = text.split(url).join('[receiver url]');
    if (path.length > 1) text = text.split(path).join('[path]');
    return text;
  }

  return {
    start() {
      if (running) return;
      running = true;
      pump();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await Promise.all([...inFlight.values()]);
    },
    kick() {
      if (running) queueMicrotask(pump);
    },
    stats() {
      return { in_flight: inFlight.size, ...counters };
    },
  };
}

/** The start of the answer body, one line, for a failure reason; never throws. */
async function readSnippet(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a body that breaks off does not change the status we already have
  } finally {
    reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
}
