import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { convertLiteLLM, LITELLM_LICENSE, serializePriceTable, versionOf } from './litellm-import.ts';
import { parsePriceTableFile } from './price-table.ts';
import { LITELLM_SNAPSHOT, PRICES_JSON } from '../../../test/support/pricing/price-tables.ts';

const fixture = {
  sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0, litellm_provider: 'one of …', mode: 'one of …' },
  'zz-chat': {
    litellm_provider: 'anthropic',
    mode: 'chat',
    input_cost_per_token: 0.000003,
    output_cost_per_token: 0.000015,
    cache_read_input_token_cost: 3e-7,
    cache_creation_input_token_cost: 0.00000375,
    cache_creation_input_token_cost_above_1hr: 0.000006,
    input_cost_per_token_above_200k_tokens: 0.000006,
    output_cost_per_token_above_200k_tokens: 0.0000225,
    cache_read_input_token_cost_above_200k_tokens: 6e-7,
    cache_creation_input_token_cost_above_200k_tokens: 0.0000075,
    cache_creation_input_token_cost_above_1hr_above_200k_tokens: 0.000012,
    max_input_tokens: 1000000,
    supports_vision: true,
  },
  'aa-reasoner': {
    litellm_provider: 'openai',
    mode: 'chat',
    input_cost_per_token: 0.0000025,
    output_cost_per_token: 0.000015,
    output_cost_per_reasoning_token: 0.00002,
    input_cost_per_token_above_272k_tokens: 0.000005,
    output_cost_per_token_above_272k_tokens: 0.0000225,
    input_cost_per_token_priority: 0.000005,
    input_cost_per_token_batches: 0.00000125,
    input_cost_per_token_above_128k_tokens: 0.000004,
    input_cost_per_token_above_272k_tokens_priority: 0.00001,
    input_cost_per_audio_token: 'free', // a bad price of a part: left out, the entry kept
  },
  'audio-image': {
    litellm_provider: 'openai',
    mode: 'chat',
    input_cost_per_token: 0.0000025,
    output_cost_per_token: 0.00001,
    input_cost_per_audio_token: 0.00004,
    output_cost_per_audio_token: 0.00008,
    input_cost_per_image_token: 0.00001,
    output_cost_per_image_token: 0.00004,
    input_cost_per_audio_token_priority: 0.00006,
    input_cost_per_token_flex: 0.00000125,
    cache_read_input_audio_token_cost: 0.0000025,
  },
  'deepseek/deepseek-x': { litellm_provider: 'deepseek', mode: 'chat', input_cost_per_token: 5.5e-7, output_cost_per_token: 0.00000219, input_cost_per_token_cache_hit: 1.4e-7 },
  'embed-only-input': { litellm_provider: 'mistral', mode: 'embedding', input_cost_per_token: 1e-7 },
  'video-output-only': { litellm_provider: 'bedrock', mode: 'chat', output_cost_per_token: 0.0000075 },
  'free-local': { litellm_provider: 'ollama', mode: 'chat', input_cost_per_token: 0, output_cost_per_token: 0 },
  'image-gen': { litellm_provider: 'openai', mode: 'image_generation', output_cost_per_image: 0.04 },
  'qwen-tiered': { litellm_provider: 'dashscope', mode: 'chat', tiered_pricing: [{ input_cost_per_token: 1e-7, output_cost_per_token: 2e-7, range: [0, 32000] }] },
  'broken-price': { litellm_provider: 'x', mode: 'chat', input_cost_per_token: '0.000001', output_cost_per_token: 0.000002 },
  'negative-price': { litellm_provider: 'x', mode: 'chat', input_cost_per_token: 0.000001, output_cost_per_token: -1 },
  'no-mode': { litellm_provider: 'x', input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 },
  fallback_generalizations: { rules: [] },
  last_updated: '2026-07-24T18:23:43.215560+00:00',
};
const fixtureText = JSON.stringify(fixture, null, 2);

describe('convertLiteLLM', () => {
  const { table, report } = convertLiteLLM(fixtureText);

  it('keeps token-priced entries and skips the rest, counting each reason', () => {
    assert.deepEqual(Object.keys(table.models), [
      'aa-reasoner',
      'audio-image',
      'deepseek/deepseek-x',
      'embed-only-input',
      'free-local',
      'no-mode',
      'video-output-only',
      'zz-chat',
    ]);
    assert.equal(report.entries, 15);
    assert.equal(report.kept, 8);
    assert.deepEqual(report.skipped, { sample_spec: 1, not_an_object: 1, no_token_price: 2, tiered_pricing_only: 1, invalid_price: 2 });
    assert.deepEqual(report.skippedExamples.no_token_price, ['fallback_generalizations', 'image-gen']);
    assert.deepEqual(report.skippedExamples.invalid_price, ['broken-price', 'negative-price']);
    assert.deepEqual(report.keptByMode, { chat: 6, embedding: 1, '(none)': 1 });
    assert.deepEqual(report.zeroPriced, ['free-local']);
  });

  it('maps every token price, the above_<N>k tiers, the service tiers, 1-hour cache writes, audio and image tokens, and DeepSeek cache-hit prices', () => {
    assert.deepEqual(table.models['zz-chat'], {
      provider: 'anthropic',
      mode: 'chat',
      prices: [
        {
          effective_from: '1970-01-01',
          input: 0.000003,
          output: 0.000015,
          cache_read: 3e-7,
          cache_write: 0.00000375,
          cache_write_1h: 0.000006,
          above_200k: { input: 0.000006, output: 0.0000225, cache_read: 6e-7, cache_write: 0.0000075, cache_write_1h: 0.000012 },
        },
      ],
    });
    assert.deepEqual(table.models['aa-reasoner'].prices[0], {
      effective_from: '1970-01-01',
      input: 0.0000025,
      output: 0.000015,
      reasoning: 0.00002,
      above_128k: { input: 0.000004 },
      above_272k: { input: 0.000005, output: 0.0000225 },
      priority: { input: 0.000005, above_272k: { input: 0.00001 } },
      batch: { input: 0.00000125 },
    });
    assert.deepEqual(table.models['audio-image'].prices[0], {
      effective_from: '1970-01-01',
      input: 0.0000025,
      output: 0.00001,
      input_audio: 0.00004,
      output_audio: 0.00008,
      input_image: 0.00001,
      output_image: 0.00004,
      flex: { input: 0.00000125 },
      priority: { input_audio: 0.00006 },
    });
    assert.equal(table.models['deepseek/deepseek-x'].prices[0].cache_read, 1.4e-7);
    assert.equal(report.cacheHitAsCacheRead, 1);
    assert.deepEqual(table.models['video-output-only'].prices[0], { effective_from: '1970-01-01', output: 0.0000075 });
    assert.deepEqual(table.models['no-mode'], { provider: 'x', prices: [{ effective_from: '1970-01-01', input: 0.000001, output: 0.000002 }] });
    assert.deepEqual(report.tiers, { above_200k: 1, above_128k: 1, above_272k: 1 });
    assert.deepEqual(report.serviceTiers, { flex: 1, priority: 2, batch: 1 });
    assert.deepEqual(report.notApplied, { input_cost_per_audio_token: 1, cache_read_input_audio_token_cost: 1 });
  });

  it('writes the header: version from the source hash, source, licence, snapshot date', () => {
    assert.equal(table.format, 1);
    assert.equal(table.version, versionOf(fixtureText));
    assert.match(table.version, /^litellm-[0-9a-f]{12}$/);
    assert.equal(table.license, LITELLM_LICENSE);
    assert.equal(table.source_updated, '2026-07-24T18:23:43.215560+00:00');
  });

  it('uses --effective-from for every price and refuses a bad date', () => {
    const r = convertLiteLLM(fixtureText, { effectiveFrom: '2026-07-24' });
    assert.ok(Object.values(r.table.models).every((m) => m.prices[0].effective_from === '2026-07-24'));
    assert.throws(() => convertLiteLLM(fixtureText, { effectiveFrom: '2026-7-24' }), /expected YYYY-MM-DD/);
  });

  it('is deterministic: converting twice gives identical text; entry order does not matter', () => {
    const a = serializePriceTable(convertLiteLLM(fixtureText).table);
    const b = serializePriceTable(convertLiteLLM(fixtureText).table);
    assert.equal(a, b);
    const reversed = JSON.stringify(Object.fromEntries(Object.entries(fixture).reverse()));
    const c = convertLiteLLM(reversed).table;
    assert.equal(serializePriceTable({ ...c, version: table.version }), a);
  });

  it('serializes one model per line, sorted, and the result passes the loader schema', () => {
    const text = serializePriceTable(table);
    const lines = text.split('\n');
    assert.equal(lines[1], '  "format": 1,');
    const modelLines = lines.filter((l) => l.startsWith('    "'));
    assert.equal(modelLines.length, 8);
    assert.equal(
      modelLines[0],
      '    "aa-reasoner": {"provider":"openai","mode":"chat","prices":[{"effective_from":"1970-01-01","input":0.0000025,"output":0.000015,"reasoning":0.00002,"above_128k":{"input":0.000004},"above_272k":{"input":0.000005,"output":0.0000225},"priority":{"input":0.000005,"above_272k":{"input":0.00001}},"batch":{"input":0.00000125}}]},',
    );
    assert.deepEqual(parsePriceTableFile(JSON.parse(text)), JSON.parse(text));
  });
});

describe('the committed schemas/pricing/prices.json', () => {
  it('is what the importer produces from the snapshot (refresh with npm run import-prices)', () => {
    assert.ok(existsSync(LITELLM_SNAPSHOT), `the price snapshot must sit beside the repo, as in CI: ${LITELLM_SNAPSHOT}`);
    const { table, report } = convertLiteLLM(readFileSync(LITELLM_SNAPSHOT, 'utf8'));
    assert.equal(serializePriceTable(table), readFileSync(PRICES_JSON, 'utf8'));
    assert.equal(report.entries, 2985);
    assert.equal(report.kept + Object.values(report.skipped).reduce((a, b) => a + b, 0), report.entries);
  });
});
