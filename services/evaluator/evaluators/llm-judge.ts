import { createChatClient, shuttingDown } from '../judge/chat-client.ts';
import { estimateTokens, extractUsage, firstChoice, parseJudgeContent } from '../judge/parse.ts';
import { buildJudgeMessages } from '../judge/prompt.ts';
import { createSemaphore } from '../judge/semaphore.ts';
import type { LlmJudgeConfig } from '../rules/evaluator-schema.ts';
import type { EvalResult, Evaluator, ModelCall } from '../types.ts';
import { evalError } from './result.ts';

/**
 * llm_judge: asks a model, through an OpenAI-compatible chat-completions endpoint, to
 * grade the output with the rule's rubric and answer {"score": 0..1, "reason": "…"}.
 * At most `concurrency` calls at a time. A judge that fails after its retries, or answers
 * without a usable score, gives an error result (status 'error' + reason), never an
 * endless retry. Every result carries `call` (tokens, latency, attempts) so the caller
 * can price it and record it as a trace.
 */
export interface LlmJudgeDeps {
  baseUrl: string;
  model: string;
  /** The key itself, looked up by the caller from the env var named by api_key_env. */
  apiKey?: string;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
}

export interface LlmJudge extends Evaluator {
  readonly model: string;
  readonly provider: string | null;
  readonly concurrency: number;
}

export function createLlmJudge(opts: LlmJudgeConfig, scoreName: string, deps: LlmJudgeDeps): LlmJudge {
  const kind = 'llm_judge';
  const now = deps.now ?? Date.now;
  const client = createChatClient({
    baseUrl: deps.baseUrl,
    apiKey: deps.apiKey,
    timeoutMs: opts.timeout_ms,
    maxRetries: opts.max_retries,
    retryBaseMs: opts.retry_base_ms,
    maxRetryDelayMs: opts.max_retry_delay_ms,
    fetch: deps.fetch,
    now,
    random: deps.random,
  });
  const limit = createSemaphore(opts.concurrency);
  const provider = opts.provider ?? null;

  async function judge(input: Parameters<Evaluator['evaluate']>[0], signal?: AbortSignal): Promise<EvalResult> {
    if (input.output === null) return evalError(kind, scoreName, 'no output');
    const messages = buildJudgeMessages(opts.rubric, input, opts.max_field_chars);
    const out = await client.complete({ model: deps.model, messages, temperature: opts.temperature, max_tokens: opts.max_tokens, jsonMode: opts.json_mode }, signal);
    const call: ModelCall = {
      model: deps.model,
      provider,
      started_at: out.startedAt,
      latency_ms: out.latencyMs,
      attempts: out.attempts,
      status: out.ok ? 'ok' : 'error',
      error_type: out.ok ? null : out.errorType,
      finish_reason: null,
      input_tokens: 0,
      cached_input_tokens: 0,
      output_tokens: 0,
      reasoning_tokens: 0,
      usage_estimated: false,
    };
    if (!out.ok) return { ...evalError(kind, scoreName, `judge call failed: ${out.error}`), call };
    const { content, finishReason } = firstChoice(out.body);
    call.finish_reason = finishReason;
    const usage = extractUsage(out.body);
    if (usage) Object.assign(call, usage);
    else {
      // No usage from the server: estimate rather than cost the call at $0.
      call.input_tokens = estimateTokens(messages.map((m) => m.content).join('\n'));
      call.output_tokens = estimateTokens(typeof content === 'string' ? content : '');
      call.usage_estimated = true;
    }
    const verdict = parseJudgeContent(content);
    if (!verdict.ok) return { ...evalError(kind, scoreName, verdict.error), call };
    return { name: scoreName, evaluator: kind, status: 'ok', value: verdict.score, passed: verdict.score >= opts.threshold, reason: verdict.reason, call };
  }

  return {
    kind,
    scoreName,
    model: deps.model,
    provider,
    concurrency: opts.concurrency,
    requires: ['output'],
    async evaluate(input, options) {
      const release = await limit.acquire();
      try {
        if (options?.signal?.aborted) throw shuttingDown();
        return await judge(input, options?.signal);
      } finally {
        release();
      }
    },
  };
}
