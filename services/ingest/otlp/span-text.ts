import { createHash } from 'node:crypto';
import { asText, type AttributeReader } from './attribute-reader.ts';
import type { AttributeValue, OtlpSpanEvent } from './otlp-span.ts';

/**
 * Prompt and response text, where an instrumentation records it (most do only when
 * asked: content capture is opt-in). The GenAI conventions' `gen_ai.input.messages` /
 * `gen_ai.output.messages` / `gen_ai.system_instructions` first, then OpenInference's
 * `input.value` / `output.value` and `llm.input_messages.N.*`, then OpenLLMetry's
 * `gen_ai.prompt.N.*` / `gen_ai.completion.N.*`, then the older span events
 * `gen_ai.content.prompt` / `gen_ai.content.completion`. The text goes through the same
 * redaction and TTLs as `input` / `output` of our own events.
 */
export interface SpanText {
  input: string | null;
  output: string | null;
  system_prompt_hash: string | null;
}

/** `prefix0.role`, `prefix0.content`, `prefix1.content` … → [{role, content}, {content}] in index order. */
function indexed(attrs: AttributeReader, prefix: string): Record<string, AttributeValue>[] | undefined {
  const entries = attrs.indexedUnder(prefix);
  if (entries.length === 0) return undefined;
  const byIndex = new Map<number, Record<string, AttributeValue>>();
  for (const [key, value] of entries) {
    const m = /^(\d+)\.(.+)$/.exec(key.slice(prefix.length));
    if (!m) continue;
    const i = Number(m[1]);
    const item = byIndex.get(i) ?? {};
    item[m[2]] = value;
    byIndex.set(i, item);
  }
  return byIndex.size === 0 ? undefined : [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

function fromEvent(events: OtlpSpanEvent[], name: string, attribute: string): string | undefined {
  const e = events.find((x) => x.name === name);
  const v = e?.attributes[attribute];
  return v === undefined || v === null ? undefined : asText(v);
}

export function spanText(attrs: AttributeReader, events: OtlpSpanEvent[]): SpanText {
  const messagesIn = attrs.any('gen_ai.input.messages');
  const system = attrs.any('gen_ai.system_instructions');
  let input: string | undefined = messagesIn !== undefined ? asText(messagesIn) : attrs.text('input.value', 'gen_ai.prompt', 'traceloop.entity.input');
  if (input === undefined) {
    const items = indexed(attrs, 'llm.input_messages.') ?? indexed(attrs, 'gen_ai.prompt.');
    if (items) input = JSON.stringify(items);
  }
  input ??= fromEvent(events, 'gen_ai.content.prompt', 'gen_ai.prompt');
  if (system !== undefined) input = JSON.stringify({ system_instructions: system, messages: input === undefined ? null : tryJson(input) });

  const messagesOut = attrs.any('gen_ai.output.messages');
  let output: string | undefined = messagesOut !== undefined ? asText(messagesOut) : attrs.text('output.value', 'gen_ai.completion', 'traceloop.entity.output');
  if (output === undefined) {
    const items = indexed(attrs, 'llm.output_messages.') ?? indexed(attrs, 'gen_ai.completion.');
    if (items) output = JSON.stringify(items);
  }
  output ??= fromEvent(events, 'gen_ai.content.completion', 'gen_ai.completion');
  attrs.consume('input.mime_type', 'output.mime_type');

  return {
    input: input ?? null,
    output: output ?? null,
    system_prompt_hash: system === undefined ? null : `sha256:${createHash('sha256').update(canonical(system)).digest('hex').slice(0, 32)}`,
  };
}

/** The same instructions hash the same whether sent structured or as a JSON string. */
function canonical(v: AttributeValue): string {
  return typeof v === 'string' ? JSON.stringify(tryJson(v)) : JSON.stringify(v);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
