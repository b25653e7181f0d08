/**
 * Reading an OpenAI-compatible chat completion: the judge's verdict from the message
 * content (robust to code fences and prose around the JSON), and the token usage.
 */
export type JudgeVerdict = { ok: true; score: number; reason: string | null } | { ok: false; error: string };

export interface Usage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
}

/** The first balanced {...} in `text` (braces inside JSON strings ignored), or null. */
export function firstJsonObject(text: string): string | null {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        const candidate = text.slice(start, i + 1);
        try {
          JSON.parse(candidate);
          return candidate;
        } catch {
          break; // not JSON from this brace; try the next one
        }
      }
    }
  }
  return null;
}

export function parseJudgeContent(content: unknown): JudgeVerdict {
  if (typeof content !== 'string' || content.trim() === '') return { ok: false, error: 'empty judge answer' };
  let obj: unknown;
  try {
    obj = JSON.parse(content);
  } catch {
    const found = firstJsonObject(content);
    if (found === null) return { ok: false, error: `judge answer is not JSON: ${JSON.stringify(content.slice(0, 120))}` };
    obj = JSON.parse(found);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, error: 'judge answer is not a JSON object' };
  const rec = obj as Record<string, unknown>;
  const raw = rec.score;
  const score = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(score)) return { ok: false, error: `judge answer has no numeric "score" (got ${JSON.stringify(raw ?? null)})` };
  if (score < 0 || score > 1) return { ok: false, error: `judge score ${score} is outside 0..1` };
  const reason = typeof rec.reason === 'string' ? rec.reason : rec.reason === undefined || rec.reason === null ? null : JSON.stringify(rec.reason);
  return { ok: true, score, reason };
}

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : null);

/** `usage` of a chat completion in our token kinds (OpenTelemetry convention), or null if absent. */
export function extractUsage(body: unknown): Usage | null {
  const usage = (body as { usage?: Record<string, unknown> } | null)?.usage;
  if (!usage || typeof usage !== 'object') return null;
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  if (input === null || output === null) return null;
  const cached = count((usage.prompt_tokens_details as Record<string, unknown> | undefined)?.cached_tokens) ?? 0;
  const reasoning = count((usage.completion_tokens_details as Record<string, unknown> | undefined)?.reasoning_tokens) ?? 0;
  return { input_tokens: input, cached_input_tokens: Math.min(cached, input), output_tokens: output, reasoning_tokens: Math.min(reasoning, output) };
}

/** The first choice's message content and finish_reason. */
export function firstChoice(body: unknown): { content: unknown; finishReason: string | null } {
  const choice = (body as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] } | null)?.choices?.[0];
  return { content: choice?.message?.content, finishReason: typeof choice?.finish_reason === 'string' ? choice.finish_reason : null };
}

/** Rough token count when a server reports no usage: ~4 characters per token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
