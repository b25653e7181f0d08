import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attributes, OtlpSpan } from './otlp-span.ts';
import { mapSpan, METADATA_MAX_KEYS } from './span-mapping.ts';

const START = 1_796_407_107_640_000_000n;
function span(attributes: Attributes, more: Partial<OtlpSpan> = {}): OtlpSpan {
  return {
    path: 'resourceSpans[0].scopeSpans[0].spans[0]',
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    parentSpanId: 'eee19b7ec3c1b173',
    name: 'chat',
    kind: 3,
    startNs: START,
    endNs: START + 1_234_600_000n,
    attributes,
    events: [],
    status: { code: 0, message: '' },
    resource: { 'service.name': 'support-bot', 'deployment.environment.name': 'staging' },
    scope: { name: 'test-scope', version: '1' },
    ...more,
  };
}

describe('OTLP span → trace event', () => {
  it('GenAI semantic conventions (current names)', () => {
    const m = mapSpan(
      span({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_read.input_tokens': 1000,
        'gen_ai.usage.cache_write.input_tokens': 100,
        'gen_ai.usage.reasoning.output_tokens': 120,
        'gen_ai.conversation.id': 'conv-7',
        'gen_ai.prompt.name': 'triage',
        'gen_ai.prompt.version': 'v3',
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'gen_ai.request.temperature': 0.2,
        'user.id': 'u-42',
        'openai.response.service_tier': 'priority',
      }),
    );
    assert.deepEqual(
      { trace_id: m.trace_id, span_id: m.span_id, parent: m.parent_span_id, kind: m.span_kind, name: m.span_name },
      { trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174', parent: 'eee19b7ec3c1b173', kind: 'llm', name: 'chat' },
    );
    const e = m.event;
    assert.equal(e.model, 'gpt-4o-2024-08-06', 'the response model wins: it is what was billed');
    assert.equal(e.provider, 'openai');
    assert.deepEqual([e.input_tokens, e.output_tokens, e.cached_input_tokens, e.cache_write_tokens, e.reasoning_tokens], [1200, 300, 1000, 100, 120]);
    assert.equal(e.session_id, 'conv-7');
    assert.equal(e.user_id, 'u-42');
    assert.equal(e.prompt_version, 'v3');
    assert.equal(e.finish_reason, 'stop');
    assert.equal(e.service_tier, 'priority');
    assert.equal(e.timestamp, 1_796_407_107_640);
    assert.equal(e.latency_ms, 1235, 'rounded to the nearest ms');
    assert.equal(e.feature, 'support-bot', 'resource service.name when no span attribute names a feature');
    assert.equal(e.environment, 'staging');
    assert.equal(e.status, 'ok');
    assert.deepEqual(e.metadata, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'otel.scope.name': 'test-scope',
      'gen_ai.prompt.name': 'triage',
      'gen_ai.request.temperature': '0.2',
    });
  });

  it('GenAI older names: gen_ai.system, prompt/completion tokens, cache_creation', () => {
    const e = mapSpan(
      span({
        'gen_ai.system': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4-5',
        'gen_ai.usage.prompt_tokens': 50,
        'gen_ai.usage.completion_tokens': 20,
        'gen_ai.usage.cache_read.input_tokens': 2000,
        'gen_ai.usage.cache_creation.input_tokens': 500,
      }),
    ).event;
    assert.equal(e.provider, 'anthropic');
    assert.equal(e.model, 'claude-sonnet-4-5');
    assert.equal(e.input_tokens, 2550, "cache counts above the input count: input was reported without them (Anthropic's usage), so they are added");
    assert.deepEqual([e.output_tokens, e.cached_input_tokens, e.cache_write_tokens], [20, 2000, 500]);
  });

  it('OpenInference (Phoenix, Arize)', () => {
    const m = mapSpan(
      span({
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-4o-mini',
        'llm.provider': 'openai',
        'llm.token_count.prompt': 900,
        'llm.token_count.completion': 100,
        'llm.token_count.total': 1000,
        'llm.token_count.prompt_details.cache_read': 512,
        'llm.token_count.completion_details.reasoning': 30,
        'session.id': 's-1',
        'user.id': 'alice',
        'llm.prompt_template.version': '2.1',
        'input.value': 'What is the refund policy?',
        'input.mime_type': 'text/plain',
        'output.value': 'Thirty days.',
        'llm.cost.total': 0.00042,
      }),
    );
    const e = m.event;
    assert.equal(m.span_kind, 'llm');
    assert.deepEqual([e.model, e.provider, e.input_tokens, e.output_tokens, e.cached_input_tokens, e.reasoning_tokens], ['gpt-4o-mini', 'openai', 900, 100, 512, 30]);
    assert.deepEqual([e.session_id, e.user_id, e.prompt_version, e.input, e.output, e.cost_usd], ['s-1', 'alice', '2.1', 'What is the refund policy?', 'Thirty days.', 0.00042]);
    assert.deepEqual(Object.keys(e.metadata as object), ['gen_ai.operation.name', 'otel.scope.name'], 'every attribute was read; totals are not kept twice');
    for (const [kind, want] of [
      ['CHAIN', 'workflow'],
      ['RETRIEVER', 'retrieval'],
      ['RERANKER', 'retrieval'],
      ['TOOL', 'tool'],
      ['AGENT', 'agent'],
      ['EMBEDDING', 'embedding'],
      ['GUARDRAIL', 'other'],
    ]) {
      assert.equal(mapSpan(span({ 'openinference.span.kind': kind })).span_kind, want, kind);
    }
  });

  it('OpenLLMetry (Traceloop): llm.request.type, llm.usage.*, indexed prompts, workflow name as feature', () => {
    const m = mapSpan(
      span({
        'llm.request.type': 'chat',
        'gen_ai.system': 'OpenAI',
        'gen_ai.request.model': 'gpt-4.1',
        'gen_ai.response.model': 'gpt-4.1-2025-04-14',
        'llm.usage.prompt_tokens': 40,
        'llm.usage.completion_tokens': 8,
        'llm.usage.total_tokens': 48,
        'traceloop.workflow.name': 'ticket-triage',
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'You triage tickets.',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': 'My card was charged twice.',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'billing',
        'gen_ai.completion.0.finish_reason': 'stop',
      }),
    );
    const e = m.event;
    assert.equal(m.span_kind, 'llm');
    assert.deepEqual([e.model, e.provider, e.input_tokens, e.output_tokens, e.feature, e.finish_reason], ['gpt-4.1-2025-04-14', 'openai', 40, 8, 'ticket-triage', 'stop']);
    assert.deepEqual(JSON.parse(e.input as string), [
      { role: 'system', content: 'You triage tickets.' },
      { role: 'user', content: 'My card was charged twice.' },
    ]);
    assert.deepEqual(JSON.parse(e.output as string), [{ role: 'assistant', content: 'billing', finish_reason: 'stop' }]);
    assert.equal(mapSpan(span({ 'traceloop.span.kind': 'workflow' })).span_kind, 'workflow');
    assert.equal(mapSpan(span({ 'traceloop.span.kind': 'tool' })).span_kind, 'tool');
    assert.equal(mapSpan(span({ 'llm.request.type': 'embedding' })).span_kind, 'embedding');
  });

  it('Vercel AI SDK: functionId as feature, msToFirstChunk as time to first token', () => {
    const e = mapSpan(
      span({
        'ai.telemetry.functionId': 'summarise-thread',
        'gen_ai.system': 'openai.chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 5,
        'ai.response.msToFirstChunk': 412.7,
      }),
    ).event;
    assert.deepEqual([e.feature, e.time_to_first_token_ms], ['summarise-thread', 413]);
    const ttft = mapSpan(span({ 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 1 }, { events: [{ name: 'ai.stream.firstChunk', timeNs: START + 250_000_000n, attributes: {} }] })).event;
    assert.equal(ttft.time_to_first_token_ms, 250, 'from the first-chunk event');
  });

  it('what real instrumentations also send: OpenLLMetry finish reason and association properties, Vercel usage details, OpenInference embeddings, Langfuse attributes', () => {
    const tl = mapSpan(
      span({
        'llm.request.type': 'chat',
        'gen_ai.system': 'Anthropic',
        'gen_ai.request.model': 'claude-haiku-4-5',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.reasoning_tokens': 4,
        'gen_ai.completion.0.finish_reason': 'end_turn',
        'traceloop.association.properties.user_id': 'u-1',
        'traceloop.association.properties.chat_id': 'chat-9',
        'traceloop.entity.input': '{"q":1}',
      }),
    ).event;
    assert.deepEqual([tl.provider, tl.finish_reason, tl.reasoning_tokens, tl.user_id, tl.session_id, tl.input], ['anthropic', 'end_turn', 4, 'u-1', 'chat-9', '{"q":1}']);

    const v = mapSpan(
      span({
        'gen_ai.system': 'openai.chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 3000,
        'gen_ai.usage.output_tokens': 200,
        'ai.usage.inputTokens': 3000,
        'ai.usage.inputTokenDetails.cacheReadTokens': 2048,
        'ai.usage.reasoningTokens': 64,
        'ai.telemetry.metadata.sessionId': 'thread-3',
        'ai.telemetry.metadata.userId': 'v-user',
      }),
    );
    assert.deepEqual([v.event.provider, v.event.cached_input_tokens, v.event.reasoning_tokens, v.event.session_id, v.event.user_id], ['openai', 2048, 64, 'thread-3', 'v-user']);
    assert.equal((v.event.metadata as Record<string, string>)['ai.usage.inputTokens'], undefined, 'the SDK repeating gen_ai.usage is not kept twice');

    const emb = mapSpan(span({ 'openinference.span.kind': 'EMBEDDING', 'embedding.model_name': 'text-embedding-3-small', 'llm.token_count.prompt': 12, 'llm.finish_reason': 'stop' }));
    assert.deepEqual([emb.span_kind, emb.event.model, emb.event.finish_reason], ['embedding', 'text-embedding-3-small', 'stop']);

    const lf = mapSpan(
      span({
        'langfuse.observation.model.name': 'gpt-4o-mini',
        'langfuse.observation.usage_details': JSON.stringify({ input: 70, output: 7 }),
        'langfuse.observation.cost_details': JSON.stringify({ total: 0.0001 }),
        'langfuse.observation.prompt.version': '5',
        'langfuse.environment': 'canary',
        'langfuse.observation.completion_start_time': new Date(Number(START / 1_000_000n) + 180).toISOString(),
        'langfuse.session.id': 'lf-s',
        'langfuse.user.id': 'lf-u',
      }),
    ).event;
    assert.deepEqual(
      [lf.model, lf.input_tokens, lf.output_tokens, lf.cost_usd, lf.prompt_version, lf.environment, lf.time_to_first_token_ms, lf.session_id, lf.user_id],
      ['gpt-4o-mini', 70, 7, 0.0001, '5', 'canary', 180, 'lf-s', 'lf-u'],
    );
  });

  it("OpenLIT's time to first token is trusted only on a streamed call (it is the whole latency otherwise)", () => {
    const base = { 'gen_ai.request.model': 'llama3', 'gen_ai.usage.input_tokens': 5, 'gen_ai.server.time_to_first_token': 1.234 };
    assert.equal(mapSpan(span(base)).event.time_to_first_token_ms, null);
    assert.equal(mapSpan(span({ ...base, 'gen_ai.request.is_stream': true })).event.time_to_first_token_ms, 1234);
    assert.equal(mapSpan(span({ ...base, 'gen_ai.response.time_to_first_chunk': 0.5 })).event.time_to_first_token_ms, 500, 'the convention attribute (seconds)');
  });

  it('span kinds from gen_ai.operation.name, and a span no convention names', () => {
    const kinds = Object.fromEntries(
      ['chat', 'text_completion', 'generate_content', 'embeddings', 'invoke_agent', 'create_agent', 'execute_tool', 'invoke_workflow'].map((op) => [op, mapSpan(span({ 'gen_ai.operation.name': op })).span_kind]),
    );
    assert.deepEqual(kinds, { chat: 'llm', text_completion: 'llm', generate_content: 'llm', embeddings: 'embedding', invoke_agent: 'agent', create_agent: 'agent', execute_tool: 'tool', invoke_workflow: 'workflow' });
    assert.equal(mapSpan(span({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 3 })).span_kind, 'llm', 'a model and usage: an LLM call');
    const db = mapSpan(span({ 'db.system': 'postgresql' }, { name: 'SELECT orders' }));
    assert.equal(db.span_kind, 'other');
    assert.equal(db.event.model, '');
    assert.equal(db.event.metadata && (db.event.metadata as Record<string, string>)['db.system'], 'postgresql');
  });

  it('errors: span status, error.type, the exception event', () => {
    const byStatus = mapSpan(span({ 'gen_ai.request.model': 'm' }, { status: { code: 2, message: 'upstream 500' } })).event;
    assert.deepEqual([byStatus.status, byStatus.error_type], ['error', 'upstream 500']);
    const byType = mapSpan(span({ 'error.type': 'timeout' })).event;
    assert.deepEqual([byType.status, byType.error_type], ['error', 'timeout']);
    const byEvent = mapSpan(span({}, { status: { code: 2, message: '' }, events: [{ name: 'exception', timeNs: START, attributes: { 'exception.type': 'RateLimitError' } }] })).event;
    assert.deepEqual([byEvent.status, byEvent.error_type], ['error', 'RateLimitError']);
    const ok = mapSpan(span({}, { status: { code: 1, message: '' } })).event;
    assert.deepEqual([ok.status, ok.error_type], ['ok', null]);
  });

  it('opt-in content: gen_ai.input.messages, output messages, system instructions (hashed too)', () => {
    const messages = [{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }];
    const e = mapSpan(
      span({
        'gen_ai.input.messages': JSON.stringify(messages),
        'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello' }] }] as never,
        'gen_ai.system_instructions': 'Be brief.',
      }),
    ).event;
    assert.deepEqual(JSON.parse(e.input as string), { system_instructions: 'Be brief.', messages });
    assert.deepEqual(JSON.parse(e.output as string), [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello' }] }]);
    assert.match(e.system_prompt_hash as string, /^sha256:[0-9a-f]{32}$/);
    const older = mapSpan(span({}, { events: [{ name: 'gen_ai.content.prompt', timeNs: START, attributes: { 'gen_ai.prompt': 'Q?' } }, { name: 'gen_ai.content.completion', timeNs: START, attributes: { 'gen_ai.completion': 'A.' } }] })).event;
    assert.deepEqual([older.input, older.output], ['Q?', 'A.']);
  });

  it('resource rules: a span feature wins over service.name; environment and user from the resource', () => {
    const e = mapSpan(span({ feature: 'checkout-assistant' }, { resource: { 'service.name': 'web', 'deployment.environment': 'dev', 'enduser.id': 'r-user' } })).event;
    assert.deepEqual([e.feature, e.environment, e.user_id], ['checkout-assistant', 'dev', 'r-user']);
    const bare = mapSpan(span({}, { resource: {} })).event;
    assert.deepEqual([bare.feature, bare.environment, bare.user_id], ['default', 'production', null]);
  });

  it('metadata is bounded: 64 keys, 4,096 characters a value, the rest counted', () => {
    const attrs: Attributes = { long: 'y'.repeat(10_000) };
    for (let i = 0; i < 100; i++) attrs[`app.k${i}`] = i;
    const md = mapSpan(span(attrs)).event.metadata as Record<string, string>;
    assert.equal(Object.keys(md).length, METADATA_MAX_KEYS);
    assert.equal(md.long.length, 4096);
    assert.ok(md.long.endsWith('…'));
    assert.equal(Number(md['otel.dropped']), 101 + 1 - (METADATA_MAX_KEYS - 1), 'every key not kept is counted');
  });
});
