import { prng } from './prng.ts';
export { prng };

/**
 * Realistic synthetic trace events for the demo, tests and benchmarks: several features,
 * models (with cached-token and reasoning usage), prompt versions, ~3 % errors and one
 * model with no price. Deterministic for a given seed.
 */
export interface SyntheticOptions {
  seed?: number;
  /** Events are spread over [now - spreadMs, now]. */
  spreadMs?: number;
  now?: number;
  /** Approximate prompt/response text size per event in bytes (0 = no text). */
  textBytes?: number;
  idPrefix?: string;
}

interface ModelProfile {
  model: string;
  provider: string;
  weight: number;
  cache?: boolean;
  reasoning?: boolean;
}

export const DEMO_MODELS: ModelProfile[] = [
  { model: 'gpt-4o', provider: 'openai', weight: 3, cache: true },
  { model: 'gpt-4o-mini', provider: 'openai', weight: 5, cache: true },
  { model: 'claude-sonnet-4-5-20250929', provider: 'anthropic', weight: 3, cache: true },
  { model: 'o3-mini', provider: 'openai', weight: 1, reasoning: true },
  { model: 'gemini-2.5-flash', provider: 'vertex_ai', weight: 2, reasoning: true },
  { model: 'acme-llm-7b-internal', provider: 'self-hosted', weight: 1 },
];

export const DEMO_FEATURES = ['support-chat', 'summarize-ticket', 'search-rerank', 'code-assist', 'extract-invoice'];
const PROMPT_VERSIONS = ['v1', 'v2', 'v3'];
const ENVIRONMENTS = ['production', 'production', 'production', 'staging'];
const ERROR_TYPES = ['rate_limit', 'timeout', 'server_error', 'content_filter'];
const WORDS = 'the a customer invoice total refund order shipping delay account password reset summary answer please thanks model cost latency token quality'.split(' ');

export function* syntheticTraces(count: number, options: SyntheticOptions = {}): Generator<Record<string, unknown>> {
  const rnd = prng(options.seed ?? 42);
  const now = options.now ?? Date.now();
  const spread = options.spreadMs ?? 3_600_000;
  const totalWeight = DEMO_MODELS.reduce((s, m) => s + m.weight, 0);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const text = (bytes: number) => {
    let s = '';
    while (s.length < bytes) s += `${pick(WORDS)} `;
    return s.slice(0, bytes);
  };
  for (let i = 0; i < count; i++) {
    let w = rnd() * totalWeight;
    let profile = DEMO_MODELS[0];
    for (const m of DEMO_MODELS) {
      if ((w -= m.weight) <= 0) {
        profile = m;
        break;
      }
    }
    const input = 200 + Math.floor(rnd() * 4000);
    const cached = profile.cache && rnd() < 0.6 ? Math.floor(input * rnd() * 0.8) : 0;
    const cacheWrite = profile.cache && profile.provider === 'anthropic' && rnd() < 0.2 ? Math.floor((input - cached) * 0.5) : 0;
    const output = 20 + Math.floor(rnd() * 800);
    const reasoning = profile.reasoning ? Math.floor(output * (0.3 + rnd() * 0.6)) : 0;
    const isError = rnd() < 0.03;
    const latency = Math.round(300 + output * (5 + rnd() * 20) + (isError ? 2000 : 0));
    const event: Record<string, unknown> = {
      trace_id: `${options.idPrefix ?? 'demo'}-${options.seed ?? 42}-${i}`,
      timestamp: new Date(now - Math.floor(rnd() * spread)).toISOString(),
      model: profile.model,
      provider: profile.provider,
      feature: pick(DEMO_FEATURES),
      prompt_version: pick(PROMPT_VERSIONS),
      environment: pick(ENVIRONMENTS),
      input_tokens: input,
      output_tokens: output,
      cached_input_tokens: cached,
      cache_write_tokens: cacheWrite,
      reasoning_tokens: reasoning,
      latency_ms: latency,
      time_to_first_token_ms: Math.round(latency * (0.1 + rnd() * 0.3)),
      finish_reason: isError ? null : rnd() < 0.95 ? 'stop' : 'length',
      status: isError ? 'error' : 'ok',
      error_type: isError ? pick(ERROR_TYPES) : null,
      user_id: `user-${Math.floor(rnd() * 500)}`,
      session_id: `session-${Math.floor(rnd() * 2000)}`,
      metadata: { team: pick(['growth', 'support', 'platform']) },
    };
    if (options.textBytes && options.textBytes > 0) {
      event.input = text(Math.floor(options.textBytes * 0.7));
      event.output = text(Math.floor(options.textBytes * 0.3));
    }
    yield event;
  }
}
