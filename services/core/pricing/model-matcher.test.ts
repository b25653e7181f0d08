import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createModelMatcher, type MatchHow } from './model-matcher.ts';
import { realTable } from '../../../test/support/pricing/price-tables.ts';

const keys = [...realTable().models.keys()];
const matcher = createModelMatcher(keys, {
  aliases: { 'my-gpt4o-deployment': 'azure/gpt-4o', 'Prod-Claude': 'claude-sonnet-4-5' },
});

type Case = [model: string, provider: string | undefined, key: string, how: MatchHow];

function check(cases: readonly Case[]): void {
  for (const [model, provider, key, how] of cases) {
    assert.deepEqual(matcher.resolve(model, provider), { key, how }, `${model} (provider ${provider ?? '-'})`);
  }
}

describe('model matching against the real table', () => {
  it('exact names', () => {
    check([
      ['gpt-4o', undefined, 'gpt-4o', 'exact'],
      ['gpt-4o-mini', undefined, 'gpt-4o-mini', 'exact'],
      ['o1', undefined, 'o1', 'exact'],
      ['o3-mini', undefined, 'o3-mini', 'exact'],
      ['gpt-4o-2024-05-13', undefined, 'gpt-4o-2024-05-13', 'exact'], // its own (higher) price, not gpt-4o's
      ['claude-sonnet-4-20250514', undefined, 'claude-sonnet-4-20250514', 'exact'],
      ['claude-sonnet-4-5', undefined, 'claude-sonnet-4-5', 'exact'],
      ['gemini-2.5-pro', undefined, 'gemini-2.5-pro', 'exact'],
      ['anthropic.claude-3-5-sonnet-20240620-v1:0', undefined, 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'exact'],
      ['us.anthropic.claude-3-5-sonnet-20241022-v2:0', undefined, 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'exact'],
      ['groq/llama-3.1-8b-instant', undefined, 'groq/llama-3.1-8b-instant', 'exact'],
      ['mistral/mistral-large-latest', undefined, 'mistral/mistral-large-latest', 'exact'],
      ['azure/gpt-4o', undefined, 'azure/gpt-4o', 'exact'],
      ['deepseek-chat', undefined, 'deepseek-chat', 'exact'],
    ]);
  });

  it('<provider>/<model> keys when the event names the provider (LiteLLM keys many providers that way)', () => {
    check([
      ['gpt-4o', 'azure', 'azure/gpt-4o', 'exact'],
      ['gpt-4o-mini', 'azure', 'azure/gpt-4o-mini', 'exact'], // azure's own price differs from OpenAI's
      ['gpt-4o', 'openai', 'gpt-4o', 'exact'], // no openai/ keys: the bare name
      ['llama-3.3-70b-versatile', 'groq', 'groq/llama-3.3-70b-versatile', 'exact'],
      ['meta-llama/llama-4-scout-17b-16e-instruct', 'groq', 'groq/meta-llama/llama-4-scout-17b-16e-instruct', 'exact'],
      ['mistral-large-latest', 'mistral', 'mistral/mistral-large-latest', 'exact'],
      ['mistral-small-latest', 'mistral_ai', 'mistral/mistral-small-latest', 'exact'], // OpenTelemetry gen_ai.system name
      ['gemini-2.5-flash', 'google', 'gemini/gemini-2.5-flash', 'exact'],
      ['gemini-2.5-pro', 'gcp.vertex_ai', 'gemini-2.5-pro', 'exact'],
      ['grok-4', 'xai', 'xai/grok-4', 'exact'],
      ['claude-sonnet-4-5', 'vertex_ai', 'vertex_ai/claude-sonnet-4-5', 'exact'],
    ]);
  });

  it('case-insensitive', () => {
    check([
      ['GPT-4o', undefined, 'gpt-4o', 'case'],
      ['Claude-Sonnet-4-5', undefined, 'claude-sonnet-4-5', 'case'],
      ['GPT-4O-MINI', 'Azure', 'azure/gpt-4o-mini', 'case'],
    ]);
  });

  it('user aliases, exact and case-insensitive', () => {
    check([
      ['my-gpt4o-deployment', undefined, 'azure/gpt-4o', 'alias'],
      ['prod-claude', undefined, 'claude-sonnet-4-5', 'alias'],
    ]);
  });

  it('provider prefixes', () => {
    check([
      ['openai/gpt-4o', undefined, 'gpt-4o', 'pattern'],
      ['openai/o3-mini', undefined, 'o3-mini', 'pattern'],
      ['anthropic/claude-sonnet-4-5-20250929', undefined, 'claude-sonnet-4-5-20250929', 'pattern'],
      ['vertex_ai/gemini-2.5-pro', undefined, 'gemini-2.5-pro', 'pattern'],
      ['gemini/gemini-2.5-pro', undefined, 'gemini/gemini-2.5-pro', 'exact'],
      ['models/gemini-2.5-flash', undefined, 'gemini-2.5-flash', 'pattern'],
      ['azure/gpt-4o-2024-08-06', undefined, 'azure/gpt-4o-2024-08-06', 'exact'],
      ['bedrock/anthropic.claude-3-haiku-20240307-v1:0', undefined, 'anthropic.claude-3-haiku-20240307-v1:0', 'pattern'],
      ['bedrock/converse/us.anthropic.claude-sonnet-4-5-20250929-v1:0', undefined, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'pattern'],
    ]);
  });

  it('Bedrock ids: region prefixes, -vN:M suffixes, ARNs, the bare Anthropic name', () => {
    check([
      // region prefix absent from the table → the regionless id
      ['ca.anthropic.claude-3-5-sonnet-20240620-v1:0', undefined, 'anthropic.claude-3-5-sonnet-20240620-v1:0', 'pattern'],
      // suffix the table does not have / lacks
      ['anthropic.claude-sonnet-4-6-v1:0', undefined, 'anthropic.claude-sonnet-4-6', 'pattern'],
      ['us.anthropic.claude-opus-4-8-v1:0', undefined, 'us.anthropic.claude-opus-4-8', 'pattern'],
      ['anthropic.claude-opus-4-1-20250805', undefined, 'anthropic.claude-opus-4-1-20250805-v1:0', 'pattern'],
      ['anthropic.claude-3-5-sonnet-20241022', undefined, 'anthropic.claude-3-5-sonnet-20241022-v2:0', 'pattern'],
      ['anthropic.claude-opus-4-6-v1:0', undefined, 'anthropic.claude-opus-4-6-v1', 'pattern'],
      [
        'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0',
        undefined,
        'us.anthropic.claude-sonnet-4-20250514-v1:0',
        'pattern',
      ],
      // no Bedrock key at all → the Anthropic name
      ['anthropic.claude-opus-4-7-20260416-v1:0', undefined, 'claude-opus-4-7-20260416', 'pattern'],
    ]);
  });

  it('dated versions, only when the dated key is absent', () => {
    check([
      ['gpt-4o-2024-08-06', undefined, 'gpt-4o-2024-08-06', 'exact'],
      ['gpt-4o-2026-01-01', undefined, 'gpt-4o', 'pattern'],
      ['gpt-4o-mini-2026-01-01', undefined, 'gpt-4o-mini', 'pattern'],
      ['claude-sonnet-4-5-20260101', undefined, 'claude-sonnet-4-5', 'pattern'],
      ['claude-opus-4-8-20260601', undefined, 'claude-opus-4-8', 'pattern'],
      ['o3-mini-2026-02-02', undefined, 'o3-mini', 'pattern'],
    ]);
  });

  it('Vertex name@version', () => {
    check([
      ['claude-3-5-sonnet@20240620', undefined, 'vertex_ai/claude-3-5-sonnet@20240620', 'pattern'],
      ['claude-sonnet-4@20250514', undefined, 'vertex_ai/claude-sonnet-4@20250514', 'pattern'],
      ['claude-opus-4-6@20260205', undefined, 'claude-opus-4-6-20260205', 'pattern'],
      ['claude-haiku-4-5@20251001', 'vertex_ai', 'vertex_ai/claude-haiku-4-5@20251001', 'exact'],
      // Vertex resource paths, as the Vertex SDKs report the model
      ['publishers/google/models/gemini-2.5-flash', undefined, 'gemini-2.5-flash', 'pattern'],
      ['projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-pro', undefined, 'gemini-2.5-pro', 'pattern'],
      ['projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929', undefined, 'vertex_ai/claude-sonnet-4-5@20250929', 'pattern'],
    ]);
  });

  it('Vertex name-vN@date → name-date (Anthropic\'s dated id), on a table that has it', () => {
    const m = createModelMatcher(['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet-20240620']);
    assert.deepEqual(m.resolve('claude-3-5-sonnet-v2@20241022'), { key: 'claude-3-5-sonnet-20241022', how: 'pattern' });
  });

  it('-latest, dotted Claude versions, undated names → newest dated key', () => {
    check([
      ['claude-sonnet-4-6-latest', undefined, 'claude-sonnet-4-6', 'pattern'],
      ['claude-3-7-sonnet-latest', undefined, 'claude-3-7-sonnet-20250219', 'pattern'],
      ['claude-3.7-sonnet', undefined, 'claude-3-7-sonnet-20250219', 'pattern'],
      ['claude-sonnet-4.5', undefined, 'claude-sonnet-4-5', 'pattern'],
      ['claude-sonnet-4', undefined, 'claude-sonnet-4-20250514', 'pattern'],
    ]);
  });

  it('family provider inferred for names without a provider', () => {
    check([
      ['mistral-large-latest', undefined, 'mistral/mistral-large-latest', 'pattern'],
      ['codestral-latest', undefined, 'mistral/codestral-latest', 'pattern'],
      ['grok-4', undefined, 'xai/grok-4', 'pattern'],
      ['deepseek-v3.2', undefined, 'deepseek/deepseek-v3.2', 'pattern'],
    ]);
  });

  it('OpenAI fine-tunes → the fine-tune price, never the base model', () => {
    check([['ft:gpt-4o-mini-2024-07-18:acme::abc123', undefined, 'ft:gpt-4o-mini-2024-07-18', 'pattern']]);
    assert.equal(matcher.resolve('ft:gpt-9:acme::abc123'), null);
  });

  it('models retired from this LiteLLM snapshot do not resolve (add them with an override)', () => {
    // The mid-2026 snapshot has no Anthropic-API entry for Claude 3.5 Sonnet and no Gemini 1.5 Pro.
    assert.equal(matcher.resolve('claude-3-5-sonnet-20241022'), null);
    assert.equal(matcher.resolve('claude-3-5-sonnet-20241022', 'anthropic'), null);
    assert.equal(matcher.resolve('gemini-1.5-pro'), null);
    assert.equal(matcher.resolve('vertex_ai/gemini-1.5-pro'), null);
  });

  it('unknown names → null', () => {
    for (const m of ['totally-unknown', '', '   ', 'azure/my-deployment', 'gpt', 'claude', 'openai/']) {
      assert.equal(matcher.resolve(m), null, m);
    }
  });
});

describe('memoisation', () => {
  it('returns the same frozen result for the same (provider, model), hits and misses alike', () => {
    const m = createModelMatcher(keys);
    const a = m.resolve('openai/gpt-4o');
    assert.ok(a !== null && Object.isFrozen(a));
    assert.equal(m.resolve('openai/gpt-4o'), a);
    assert.equal(m.resolve('nope'), null);
    assert.equal(m.resolve('nope'), null);
    assert.equal(m.memoSize, 2);
    assert.notEqual(m.resolve('gpt-4o', 'azure'), m.resolve('gpt-4o'));
    assert.equal(m.memoSize, 4);
  });

  it('is cleared when full, so many distinct names cannot grow memory without bound', () => {
    const m = createModelMatcher(keys, { memoLimit: 3 });
    for (let i = 0; i < 10; i++) m.resolve(`unknown-${i}`);
    assert.ok(m.memoSize <= 3);
    assert.deepEqual(m.resolve('gpt-4o'), { key: 'gpt-4o', how: 'exact' });
  });

  it('case-insensitive collisions resolve deterministically (first key in sorted order)', () => {
    const m = createModelMatcher(['Model-A', 'model-a', 'MODEL-A'].reverse());
    assert.deepEqual(m.resolve('mODEL-a'), { key: 'MODEL-A', how: 'case' });
  });
});
