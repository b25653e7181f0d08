import { ErrorCodes, PipelineError } from '../../core/errors.ts';
import type { ChatMessage } from './prompt.ts';
import { parseRetryAfter, retryDelayMs } from '../../core/retry.ts';
import { isRetryableStatus } from './retry.ts';

/**
 * A minimal OpenAI-compatible chat-completions client (OpenAI, vLLM, Ollama, LiteLLM
 * proxy): `POST {baseUrl}/chat/completions`. Each attempt has its own timeout; 408/429/
 * 5xx, network errors and timeouts are retried with exponential backoff (Retry-After
 * honoured), up to `maxRetries` retries; anything else fails at once. The outcome is a
 * value, never an exception — except when the caller's signal aborts (shutdown), which
 * throws so the work is redone rather than recorded as a failure.
 * The API key is sent as a bearer token and never appears in errors or logs.
 */
export interface ChatClientOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  maxRetryDelayMs: number;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature: number;
  max_tokens: number;
  jsonMode: boolean;
}

interface Attempts {
  attempts: number;
  startedAt: number;
  latencyMs: number;
}
export type ChatOutcome = ({ ok: true; body: unknown } | { ok: false; errorType: string; error: string }) & Attempts;

export interface ChatClient {
  complete(req: ChatRequest, signal?: AbortSignal): Promise<ChatOutcome>;
}

export function shuttingDown(): PipelineError {
  return new PipelineError(ErrorCodes.SHUTTING_DOWN, 'judge call aborted: shutting down', { retryable: true });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

type AttemptResult =
  | { kind: 'ok'; body: unknown }
  | { kind: 'fail'; retry: boolean; errorType: string; error: string; retryAfterMs: number | null; rejectsJsonMode?: boolean };

export function createChatClient(opts: ChatClientOptions): ChatClient {
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  let jsonModeSupported = true; // learnt once per client: some servers reject response_format

  async function attempt(req: ChatRequest, jsonMode: boolean, signal: AbortSignal | undefined): Promise<AttemptResult> {
    const timeout = new AbortController();
    const onAbort = () => timeout.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => timeout.abort(), opts.timeoutMs);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    const body: Record<string, unknown> = { model: req.model, messages: req.messages, temperature: req.temperature, max_tokens: req.max_tokens };
    if (jsonMode) body.response_format = { type: 'json_object' };
    try {
      const res = await doFetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: timeout.signal });
      const text = await res.text();
      if (res.ok) {
        try {
          return { kind: 'ok', body: JSON.parse(text) };
        } catch {
          return { kind: 'fail', retry: false, errorType: 'bad_response', error: `HTTP ${res.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`, retryAfterMs: null };
        }
      }
      const snippet = text.slice(0, 200).replace(/\s+/g, ' ');
      return {
        kind: 'fail',
        retry: isRetryableStatus(res.status),
        errorType: `http_${res.status}`,
        error: `HTTP ${res.status}: ${snippet}`,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now()),
        rejectsJsonMode: res.status === 400 && jsonMode && /response_format|json_object|json mode/i.test(text),
      };
    } catch (err) {
      if (signal?.aborted) throw shuttingDown();
      if (timeout.signal.aborted) return { kind: 'fail', retry: true, errorType: 'timeout', error: `no answer within ${opts.timeoutMs} ms`, retryAfterMs: null };
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { kind: 'fail', retry: true, errorType: 'network', error: `network error: ${(err as Error).message}${cause ? ` (${cause})` : ''}`, retryAfterMs: null };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    async complete(req, signal) {
      const startedAt = now();
      let retries = 0;
      for (let attempts = 1; ; attempts++) {
        if (signal?.aborted) throw shuttingDown();
        const jsonMode = req.jsonMode && jsonModeSupported;
        const r = await attempt(req, jsonMode, signal);
        const done = { attempts, startedAt, latencyMs: Math.max(0, now() - startedAt) };
        if (r.kind === 'ok') return { ok: true, body: r.body, ...done };
        if (r.rejectsJsonMode) {
          jsonModeSupported = false; // resend without response_format; not counted as a retry
          continue;
        }
        if (!r.retry || retries >= opts.maxRetries) {
          const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
          return { ok: false, errorType: r.errorType, error: `${r.error}${tries}`, ...done };
        }
        retries++;
        await sleep(retryDelayMs({ attempt: retries, retryAfterMs: r.retryAfterMs, baseMs: opts.retryBaseMs, maxMs: opts.maxRetryDelayMs, random: opts.random }), signal);
      }
    },
  };
}
