import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CostBreakdown } from './cost.ts';
import { createPricer, type PriceRequest } from './pricer.ts';
import { realTable } from '../../../test/support/pricing/price-tables.ts';

/**
 * How a call was billed, priced from real entries of the LiteLLM snapshot
 * (schemas/pricing/prices.json). Every expected figure is worked out here by hand from the
 * snapshot's USD-per-token prices (written beside each case) in pico-USD: a price of
 * 4.25e-6 USD is 4,250,000 pico-USD per token. Nothing is computed by the code under test.
 */
const pricer = createPricer(realTable());
const T = Date.UTC(2026, 5, 1);

type Parts = Partial<CostBreakdown>;
interface Case {
  name: string;
  req: Omit<PriceRequest, 'timestampMs'>;
  key: string;
  parts: Parts;
  notes?: string[];
}

const ZERO: CostBreakdown = {
  input: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, inputAudio: 0, inputImage: 0, output: 0, reasoning: 0, outputAudio: 0, outputImage: 0,
};

function check(c: Case): void {
  const r = pricer.price({ ...c.req, timestampMs: T });
  assert.equal(r.status, 'priced', `${c.name}: ${r.status === 'unpriced' ? r.reason : ''}`);
  if (r.status !== 'priced') return;
  assert.equal(r.matchedModel, c.key, c.name);
  const expected = { ...ZERO, ...c.parts };
  assert.deepEqual(r.breakdown, expected, c.name);
  assert.equal(r.costPico, Object.values(expected).reduce((s, v) => s + v, 0), c.name);
  assert.deepEqual(r.notes, c.notes ?? [], c.name);
}

describe('service tiers (OpenAI service_tier, batch jobs)', () => {
  const tokens = { input_tokens: 10_000, cached_input_tokens: 2_000, output_tokens: 1_000 };
  const cases: Case[] = [
    {
      // gpt-4o standard: input 2.5e-6, cache_read 1.25e-6, output 1e-5
      name: 'gpt-4o, no tier: the standard price',
      req: { model: 'gpt-4o', ...tokens },
      key: 'gpt-4o',
      parts: { input: 8_000 * 2_500_000, cacheRead: 2_000 * 1_250_000, output: 1_000 * 10_000_000 },
    },
    {
      name: 'gpt-4o, default: the standard price',
      req: { model: 'gpt-4o', serviceTier: 'default', ...tokens },
      key: 'gpt-4o',
      parts: { input: 8_000 * 2_500_000, cacheRead: 2_000 * 1_250_000, output: 1_000 * 10_000_000 },
    },
    {
      // gpt-4o priority: input 4.25e-6, cache_read 2.125e-6, output 1.7e-5
      name: 'gpt-4o, priority: every part at its priority price',
      req: { model: 'gpt-4o', serviceTier: 'priority', ...tokens },
      key: 'gpt-4o',
      parts: { input: 8_000 * 4_250_000, cacheRead: 2_000 * 2_125_000, output: 1_000 * 17_000_000 },
    },
    {
      // gpt-4o batch: input 1.25e-6, output 5e-6; no batch cache_read → standard 1.25e-6, noted
      name: 'gpt-4o, batch: batch prices; cached tokens at the standard cache_read price, noted',
      req: { model: 'gpt-4o', serviceTier: 'batch', ...tokens },
      key: 'gpt-4o',
      parts: { input: 8_000 * 1_250_000, cacheRead: 2_000 * 1_250_000, output: 1_000 * 5_000_000 },
      notes: ['batch: no batch cache_read price, billed at the standard cache_read price'],
    },
    {
      name: 'gpt-4o, flex: the model has no flex price → the standard price, noted (never $0)',
      req: { model: 'gpt-4o', serviceTier: 'flex', ...tokens },
      key: 'gpt-4o',
      parts: { input: 8_000 * 2_500_000, cacheRead: 2_000 * 1_250_000, output: 1_000 * 10_000_000 },
      notes: ['flex: no flex price for this model, billed at the standard price'],
    },
    {
      // gpt-5-mini flex: input 1.25e-7, cache_read 1.25e-8, output 1e-6
      name: 'gpt-5-mini, flex',
      req: { model: 'gpt-5-mini', serviceTier: 'flex', input_tokens: 100_000, cached_input_tokens: 50_000, output_tokens: 10_000 },
      key: 'gpt-5-mini',
      parts: { input: 50_000 * 125_000, cacheRead: 50_000 * 12_500, output: 10_000 * 1_000_000 },
    },
    {
      // azure/gpt-5.5 priority above 272k: input 2e-5, cache_read 2e-6, output 9e-5
      name: 'azure/gpt-5.5, priority above 272k input tokens: the priority long-context price',
      req: { model: 'gpt-5.5', provider: 'azure', serviceTier: 'priority', input_tokens: 300_000, cached_input_tokens: 100_000, output_tokens: 2_000 },
      key: 'azure/gpt-5.5',
      parts: { input: 200_000 * 20_000_000, cacheRead: 100_000 * 2_000_000, output: 2_000 * 90_000_000 },
    },
    {
      // gpt-5.5 (OpenAI) has priority prices but no priority long-context ones: the standard above_272k
      // prices (input 1e-5, cache_read 1e-6, output 4.5e-5), noted per part
      name: 'gpt-5.5, priority above 272k without a priority long-context price: the standard long-context price, noted',
      req: { model: 'gpt-5.5', serviceTier: 'priority', input_tokens: 300_000, cached_input_tokens: 100_000, output_tokens: 2_000 },
      key: 'gpt-5.5',
      parts: { input: 200_000 * 10_000_000, cacheRead: 100_000 * 1_000_000, output: 2_000 * 45_000_000 },
      notes: [
        'priority: no priority above_272k input price, billed at the standard above_272k input price',
        'priority: no priority above_272k cache_read price, billed at the standard above_272k cache_read price',
        'priority: no priority above_272k output price, billed at the standard above_272k output price',
      ],
    },
    {
      // vertex_ai/claude-sonnet-4-5@20250929 batch: input 1.5e-6, output 7.5e-6; cache_read standard 3e-7
      name: 'Claude on Vertex (claude-sonnet-4-5@20250929), batch',
      req: { model: 'claude-sonnet-4-5@20250929', serviceTier: 'batch', input_tokens: 1_200, cached_input_tokens: 200, output_tokens: 100 },
      key: 'vertex_ai/claude-sonnet-4-5@20250929',
      parts: { input: 1_000 * 1_500_000, cacheRead: 200 * 300_000, output: 100 * 7_500_000 },
      notes: ['batch: no batch cache_read price, billed at the standard cache_read price'],
    },
    {
      // claude-sonnet-4-5 (Anthropic API): the snapshot has no batch price → standard input 3e-6, output 1.5e-5
      name: 'claude-sonnet-4-5, batch: no batch price in the snapshot → the standard price, noted',
      req: { model: 'claude-sonnet-4-5', serviceTier: 'batch', input_tokens: 1_000, output_tokens: 100 },
      key: 'claude-sonnet-4-5',
      parts: { input: 1_000 * 3_000_000, output: 100 * 15_000_000 },
      notes: ['batch: no batch price for this model, billed at the standard price'],
    },
  ];
  for (const c of cases) it(c.name, () => check(c));
});

describe('1-hour cache writes (Anthropic, on every cloud)', () => {
  const cases: Case[] = [
    {
      // claude-sonnet-4-5: input 3e-6, cache_read 3e-7, cache_write 3.75e-6, cache_write_1h 6e-6, output 1.5e-5
      name: 'claude-sonnet-4-5: 5-minute and 1-hour writes each at their own price',
      req: { model: 'claude-sonnet-4-5', input_tokens: 10_000, cached_input_tokens: 3_000, cache_write_tokens: 4_000, cache_write_1h_tokens: 1_000, output_tokens: 500 },
      key: 'claude-sonnet-4-5',
      parts: { input: 3_000 * 3_000_000, cacheRead: 3_000 * 300_000, cacheWrite: 3_000 * 3_750_000, cacheWrite1h: 1_000 * 6_000_000, output: 500 * 15_000_000 },
    },
    {
      // Bedrock cross-region us. id, above 200k: input 6.6e-6, cache_write 8.25e-6, cache_write_1h 1.32e-5, output 2.475e-5
      name: 'Bedrock us.anthropic.claude-sonnet-4-5-20250929-v1:0 above 200k: the long-context 1-hour price',
      req: { model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', input_tokens: 250_000, cache_write_tokens: 50_000, cache_write_1h_tokens: 20_000, output_tokens: 1_000 },
      key: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      parts: { input: 200_000 * 6_600_000, cacheWrite: 30_000 * 8_250_000, cacheWrite1h: 20_000 * 13_200_000, output: 1_000 * 24_750_000 },
    },
    {
      // Vertex's above_200k tier has no 1-hour price: the base 1-hour price 6e-6 (the long-context rule); input 6e-6 above 200k
      name: 'Vertex claude-sonnet-4-5@20250929 above 200k without a long-context 1-hour price: the base 1-hour price',
      req: { model: 'claude-sonnet-4-5@20250929', input_tokens: 250_000, cache_write_tokens: 20_000, cache_write_1h_tokens: 20_000 },
      key: 'vertex_ai/claude-sonnet-4-5@20250929',
      parts: { input: 230_000 * 6_000_000, cacheWrite1h: 20_000 * 6_000_000 },
    },
    {
      // claude-4-sonnet-20250514 has no 1-hour price: cache_write 3.75e-6, noted
      name: 'claude-4-sonnet-20250514: no 1-hour price → the 5-minute price, noted',
      req: { model: 'claude-4-sonnet-20250514', input_tokens: 2_000, cache_write_tokens: 1_000, cache_write_1h_tokens: 1_000 },
      key: 'claude-4-sonnet-20250514',
      parts: { input: 1_000 * 3_000_000, cacheWrite1h: 1_000 * 3_750_000 },
      notes: ['no cache_write_1h price, billed at the cache_write price'],
    },
  ];
  for (const c of cases) it(c.name, () => check(c));
});

describe('audio and image tokens', () => {
  const cases: Case[] = [
    {
      // gpt-4o-audio-preview: input 2.5e-6, input_audio 4e-5, output 1e-5, output_audio 8e-5
      name: 'gpt-4o-audio-preview: audio in and out at the audio prices (16× and 8× the text ones)',
      req: { model: 'gpt-4o-audio-preview', input_tokens: 1_000, input_audio_tokens: 600, output_tokens: 500, output_audio_tokens: 400 },
      key: 'gpt-4o-audio-preview',
      parts: { input: 400 * 2_500_000, inputAudio: 600 * 40_000_000, output: 100 * 10_000_000, outputAudio: 400 * 80_000_000 },
    },
    {
      // gpt-realtime: input 4e-6, cache_read 4e-7, input_audio 3.2e-5, output_audio 6.4e-5
      name: 'gpt-realtime: cached, text and audio input; audio output',
      req: { model: 'gpt-realtime', input_tokens: 2_000, cached_input_tokens: 500, input_audio_tokens: 1_000, output_tokens: 300, output_audio_tokens: 300 },
      key: 'gpt-realtime',
      parts: { input: 500 * 4_000_000, cacheRead: 500 * 400_000, inputAudio: 1_000 * 32_000_000, outputAudio: 300 * 64_000_000 },
    },
    {
      // gemini-2.5-flash-image: input 3e-7, output 2.5e-6, output_image 3e-5
      name: 'gemini-2.5-flash-image: an image out at the image-token price',
      req: { model: 'gemini-2.5-flash-image', input_tokens: 100, output_tokens: 1_300, output_image_tokens: 1_290 },
      key: 'gemini-2.5-flash-image',
      parts: { input: 100 * 300_000, output: 10 * 2_500_000, outputImage: 1_290 * 30_000_000 },
    },
    {
      // gpt-image-1: input 5e-6, input_image 1e-5, output_image 4e-5 (no text output price)
      name: 'gpt-image-1: text and image input, image output',
      req: { model: 'gpt-image-1', input_tokens: 600, input_image_tokens: 500, output_tokens: 4_160, output_image_tokens: 4_160 },
      key: 'gpt-image-1',
      parts: { input: 100 * 5_000_000, inputImage: 500 * 10_000_000, outputImage: 4_160 * 40_000_000 },
    },
    {
      // gpt-4o has no audio price: the input price 2.5e-6, noted
      name: 'gpt-4o with audio tokens: no audio price → the text input price, noted',
      req: { model: 'gpt-4o', input_tokens: 1_000, input_audio_tokens: 100 },
      key: 'gpt-4o',
      parts: { input: 900 * 2_500_000, inputAudio: 100 * 2_500_000 },
      notes: ['no input_audio price, billed at the input price'],
    },
  ];
  for (const c of cases) it(c.name, () => check(c));

  it('a part the model cannot price at all is unpriced, never $0: gpt-image-1 has no text output price', () => {
    const r = pricer.price({ model: 'gpt-image-1', timestampMs: T, input_tokens: 10, output_tokens: 10 });
    assert.equal(r.status, 'unpriced');
    if (r.status === 'unpriced') assert.equal(r.code, 'missing_price');
  });
});

describe('model ids as gateways and clouds send them', () => {
  // [id as sent, provider, the table key it prices as]
  const families: [string, string | undefined, string][] = [
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', undefined, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['eu.anthropic.claude-sonnet-4-5-20250929-v1:0', undefined, 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', undefined, 'global.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['apac.anthropic.claude-sonnet-4-5-20250929-v1:0', undefined, 'anthropic.claude-sonnet-4-5-20250929-v1:0'], // no apac. price: the in-region id
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0', undefined, 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['claude-sonnet-4-5@20250929', undefined, 'vertex_ai/claude-sonnet-4-5@20250929'],
    ['projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro', undefined, 'gemini-2.5-pro'],
    ['azure/gpt-4o', undefined, 'azure/gpt-4o'],
    ['gpt-4o', 'azure', 'azure/gpt-4o'],
    ['azure_ai/DeepSeek-R1', undefined, 'azure_ai/deepseek-r1'],
    ['openrouter/anthropic/claude-sonnet-4.5', undefined, 'openrouter/anthropic/claude-sonnet-4.5'],
    ['anthropic/claude-sonnet-4.5', undefined, 'claude-sonnet-4-5'],
    ['ft:gpt-4o-mini-2024-07-18:my-org::abc123', undefined, 'ft:gpt-4o-mini-2024-07-18'],
  ];
  for (const [id, provider, key] of families) {
    it(`${id}${provider ? ` (provider ${provider})` : ''} → ${key}`, () => {
      const r = pricer.price({ model: id, provider, timestampMs: T, input_tokens: 1, output_tokens: 1 });
      assert.equal(r.status, 'priced', r.status === 'unpriced' ? r.reason : '');
      if (r.status === 'priced') assert.equal(r.matchedModel, key);
    });
  }

  it('ft:gpt-4o-mini is priced at the fine-tuned price, not the base model\'s (3e-7 / 1.2e-6 vs 1.5e-7 / 6e-7)', () => {
    const r = pricer.price({ model: 'ft:gpt-4o-mini-2024-07-18:my-org::abc123', timestampMs: T, input_tokens: 1_000, output_tokens: 100 });
    assert.equal(r.status, 'priced');
    if (r.status === 'priced') assert.equal(r.costPico, 1_000 * 300_000 + 100 * 1_200_000);
  });

  it('names no table can know stay unpriced (an Azure deployment name, an OpenRouter id the snapshot lacks): alias them', () => {
    for (const id of ['azure/my-prod-deployment', 'meta-llama/llama-3.3-70b-instruct']) {
      const r = pricer.price({ model: id, timestampMs: T, input_tokens: 1 });
      assert.equal(r.status, 'unpriced', id);
      if (r.status === 'unpriced') assert.equal(r.code, 'unknown_model');
    }
  });
});
