import type { SPAN_KIND_VALUES } from '../../core/schema/fields.ts';
import type { AttributeReader } from './attribute-reader.ts';

/** What a span is, in the tree of an agent run (the event's `span_kind`). */
export type SpanKind = (typeof SPAN_KIND_VALUES)[number];

/** GenAI semantic conventions, `gen_ai.operation.name`. */
const GEN_AI_OPERATION: Record<string, SpanKind> = {
  chat: 'llm',
  text_completion: 'llm',
  completion: 'llm',
  generate_content: 'llm',
  embeddings: 'embedding',
  embedding: 'embedding',
  invoke_agent: 'agent',
  create_agent: 'agent',
  execute_tool: 'tool',
  retrieval: 'retrieval',
  retrieve: 'retrieval',
  search_memory: 'retrieval',
  invoke_workflow: 'workflow',
  plan: 'agent',
};

/** OpenInference, `openinference.span.kind`. */
const OPENINFERENCE: Record<string, SpanKind> = {
  LLM: 'llm',
  EMBEDDING: 'embedding',
  AGENT: 'agent',
  TOOL: 'tool',
  RETRIEVER: 'retrieval',
  RERANKER: 'retrieval',
  CHAIN: 'workflow',
  PROMPT: 'other',
  GUARDRAIL: 'other',
  EVALUATOR: 'other',
  UNKNOWN: 'other',
};

/** OpenLLMetry (Traceloop): `traceloop.span.kind`, and `llm.request.type` on its LLM spans. */
const TRACELOOP_KIND: Record<string, SpanKind> = { workflow: 'workflow', task: 'workflow', agent: 'agent', tool: 'tool' };
const LLM_REQUEST_TYPE: Record<string, SpanKind> = { chat: 'llm', completion: 'llm', embedding: 'embedding', rerank: 'retrieval' };

/**
 * The kind from the first convention that says: GenAI `gen_ai.operation.name`, then
 * OpenInference, then OpenLLMetry. A span none of them names is an `llm` span when it
 * carries a model and token usage (an instrumentation older than the conventions), else
 * `other`. Returns also the operation name as sent, for `metadata`.
 */
export function spanKindOf(attrs: AttributeReader, hasModelAndUsage: boolean): { kind: SpanKind; operation: string | undefined } {
  const operation = attrs.text('gen_ai.operation.name');
  if (operation !== undefined) {
    const k = GEN_AI_OPERATION[operation.toLowerCase()];
    if (k) return { kind: k, operation };
  }
  const oi = attrs.text('openinference.span.kind');
  if (oi !== undefined && OPENINFERENCE[oi.toUpperCase()]) return { kind: OPENINFERENCE[oi.toUpperCase()], operation: operation ?? oi.toLowerCase() };
  const requestType = attrs.text('llm.request.type');
  if (requestType !== undefined && LLM_REQUEST_TYPE[requestType.toLowerCase()]) return { kind: LLM_REQUEST_TYPE[requestType.toLowerCase()], operation: operation ?? requestType };
  const tl = attrs.text('traceloop.span.kind');
  if (tl !== undefined && TRACELOOP_KIND[tl.toLowerCase()]) return { kind: TRACELOOP_KIND[tl.toLowerCase()], operation: operation ?? tl };
  return { kind: hasModelAndUsage ? 'llm' : 'other', operation };
}
