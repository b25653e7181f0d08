import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPriceTable, loadPriceTable, parseOverridesFile, parsePriceTableFile, PriceTableError } from './price-table.ts';
import { createPricer, type PriceRequest, type PriceResult, type Priced } from './pricer.ts';
import { OVERRIDES_EXAMPLE, PRICES_JSON, realTable } from '../../../test/support/pricing/price-tables.ts';
import { textParts } from '../../../test/support/pricing/breakdown.ts';

const T2025 = Date.UTC(2025, 6, 1);

function req(model: string, extra: Partial<PriceRequest> = {}): PriceRequest {
  return {
    model,
    timestampMs: T2025,
    input_tokens: 1_000,
    output_tokens: 500,
    cached_input_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    ...extra,
  };
}

function priced(r: PriceResult): Priced {
  assert.equal(r.status, 'priced', r.status === 'unpriced' ? r.reason : '');
  return r as Priced;
}

describe('createPricer with the real table', () => {
  const pricer = createPricer(realTable());

  it('prices a known model with the matched key, how, version and an exact breakdown', () => {
    const r = priced(pricer.price(req('openai/gpt-4o', { cached_input_tokens: 400 })));
    assert.equal(r.matchedModel, 'gpt-4o');
    assert.equal(r.how, 'pattern');
    assert.equal(r.priceVersion, `${realTable().version}@1970-01-01`);
    assert.match(r.priceVersion, /^litellm-[0-9a-f]{12}@1970-01-01$/);
    assert.deepEqual(textParts(r.breakdown), { input: 600 * 2_500_000, cacheRead: 400 * 1_250_000, cacheWrite: 0, output: 500 * 10_000_000, reasoning: 0 });
    assert.equal(r.costPico, 1_500_000_000 + 500_000_000 + 5_000_000_000);
  });

  it('uses the event provider', () => {
    const azure = priced(pricer.price(req('gpt-4o-mini', { provider: 'azure' })));
    assert.equal(azure.matchedModel, 'azure/gpt-4o-mini');
    assert.equal(azure.breakdown.input, 1_000 * 165_000);
    const groq = priced(pricer.price(req('llama-3.3-70b-versatile', { provider: 'groq' })));
    assert.equal(groq.costPico, 1_000 * 590_000 + 500 * 790_000);
  });

  it('an unknown model is unpriced with a reason, never costed as 0', () => {
    const r = pricer.price(req('gpt-9-ultra', { provider: 'openai' }));
    assert.equal(r.status, 'unpriced');
    assert.ok(r.status === 'unpriced');
    assert.equal(r.code, 'unknown_model');
    assert.equal(r.reason, 'no price for model "gpt-9-ultra" (provider "openai")');
    assert.equal('costPico' in r, false);
    const again = pricer.price(req('claude-3-5-sonnet-20241022'));
    assert.equal(again.status, 'unpriced');
  });

  it('a model with no price for a token kind it used is unpriced', () => {
    // twelvelabs.pegasus-1-2-v1:0 has only an output price in the snapshot
    const r = pricer.price(req('twelvelabs.pegasus-1-2-v1:0'));
    assert.ok(r.status === 'unpriced');
    assert.equal(r.code, 'missing_price');
    assert.equal(r.reason, '"twelvelabs.pegasus-1-2-v1:0": no input price');
    assert.equal(r.matchedModel, 'twelvelabs.pegasus-1-2-v1:0');
    assert.equal(priced(pricer.price(req('twelvelabs.pegasus-1-2-v1:0', { input_tokens: 0 }))).costPico, 500 * 7_500_000);
  });

  it('an invalid timestamp is unpriced', () => {
    const r = pricer.price(req('gpt-4o', { timestampMs: Number.NaN }));
    assert.ok(r.status === 'unpriced');
    assert.equal(r.code, 'invalid_timestamp');
  });

  it('clamps invalid token combinations instead of producing negative costs', () => {
    const r = priced(pricer.price(req('claude-sonnet-4-5', { input_tokens: 10, cached_input_tokens: 50, cache_write_tokens: 50, output_tokens: 1, reasoning_tokens: 9 })));
    assert.ok(r.costPico >= 0);
    assert.deepEqual(textParts(r.breakdown), { input: 0, cacheRead: 10 * 300_000, cacheWrite: 0, output: 0, reasoning: 1 * 15_000_000 });
  });

  it('exposes the table version', () => {
    assert.equal(pricer.version, realTable().version);
  });
});

describe('effective dates through the pricer', () => {
  const table = buildPriceTable(
    parsePriceTableFile({
      format: 1,
      version: 'v-test',
      source: 'test',
      license: 'MIT (BerriAI/litellm)',
      models: { 'gpt-4o': { provider: 'openai', prices: [{ effective_from: '2024-05-13', input: 0.000005, output: 0.000015 }] } },
    }),
    parseOverridesFile({ models: { 'gpt-4o': { prices: [{ effective_from: '2025-06-01', input: 0.0000025, output: 0.00001 }] } } }),
  );
  const pricer = createPricer(table);
  const at = (iso: string): PriceResult => pricer.price(req('gpt-4o', { timestampMs: Date.parse(iso) }));

  it('an event before the price cut gets the old price, after it the new one', () => {
    const before = priced(at('2025-05-31T23:59:59.999Z'));
    assert.equal(before.costPico, 1_000 * 5_000_000 + 500 * 15_000_000);
    assert.equal(before.priceVersion, `${table.version}@2024-05-13`);
    const after = priced(at('2025-06-01T00:00:00.000Z'));
    assert.equal(after.costPico, 1_000 * 2_500_000 + 500 * 10_000_000);
    assert.equal(after.priceVersion, `${table.version}@2025-06-01`);
  });

  it('an event before the first effective_from is unpriced with a reason', () => {
    const r = at('2024-05-12T12:00:00Z');
    assert.ok(r.status === 'unpriced');
    assert.equal(r.code, 'before_first_price');
    assert.equal(r.reason, 'no price for "gpt-4o" before 2024-05-13 (event at 2024-05-12T12:00:00.000Z)');
  });
});

describe('aliases', () => {
  it('from createPricer options, checked against the table', () => {
    const pricer = createPricer(realTable(), { aliases: { 'team-default': 'claude-haiku-4-5' } });
    const r = priced(pricer.price(req('team-default')));
    assert.equal(r.matchedModel, 'claude-haiku-4-5');
    assert.equal(r.how, 'alias');
    assert.throws(() => createPricer(realTable(), { aliases: { x: 'no-such-model' } }), PriceTableError);
  });

  it('from the example overrides file: retired models priced again', () => {
    const pricer = createPricer(loadPriceTable({ baseFile: PRICES_JSON, overridesFile: OVERRIDES_EXAMPLE }));
    const sonnet = priced(pricer.price(req('claude-3-5-sonnet-latest', { cached_input_tokens: 200, cache_write_tokens: 100 })));
    assert.equal(sonnet.matchedModel, 'claude-3-5-sonnet-20241022');
    assert.equal(sonnet.how, 'alias');
    assert.deepEqual(textParts(sonnet.breakdown), { input: 700 * 3_000_000, cacheRead: 200 * 300_000, cacheWrite: 100 * 3_750_000, output: 500 * 15_000_000, reasoning: 0 });
    // gemini-1.5-pro: price cut on 2024-10-01, above_128k tier
    const g = (t: string, input: number): Priced => priced(pricer.price(req('gemini-1.5-pro', { timestampMs: Date.parse(t), input_tokens: input, output_tokens: 0 })));
    assert.equal(g('2024-09-30T00:00:00Z', 1_000).costPico, 1_000 * 3_500_000);
    assert.equal(g('2024-10-01T00:00:00Z', 1_000).costPico, 1_000 * 1_250_000);
    assert.equal(g('2024-10-01T00:00:00Z', 200_000).costPico, 200_000 * 2_500_000);
    assert.equal(priced(pricer.price(req('my-gpt4o-deployment'))).matchedModel, 'azure/gpt-4o');
    // claude-sonnet-4-5 gains a batch price: half of 3e-6 / 1.5e-5, 1-hour writes half of 6e-6, no fallback note
    const batch = priced(pricer.price(req('claude-sonnet-4-5', { serviceTier: 'batch', input_tokens: 1_000, cache_write_tokens: 200, cache_write_1h_tokens: 200, output_tokens: 100 })));
    assert.equal(batch.costPico, 800 * 1_500_000 + 200 * 3_000_000 + 100 * 7_500_000);
    assert.deepEqual(batch.notes, []);
  });
});

describe('hot path', () => {
  it('prices ~100k events per second comfortably (memoised resolution)', () => {
    const pricer = createPricer(realTable());
    const models = ['gpt-4o', 'openai/gpt-4o-mini', 'claude-sonnet-4-5-20250929', 'us.anthropic.claude-sonnet-4-20250514-v1:0', 'gemini-2.5-pro', 'nope'];
    const n = 200_000;
    let sum = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = pricer.price({
        model: models[i % models.length],
        timestampMs: T2025,
        input_tokens: 1_000 + (i % 300_000),
        output_tokens: 200,
        cached_input_tokens: 100,
        cache_write_tokens: 0,
        reasoning_tokens: 50,
      });
      if (r.status === 'priced') sum += r.costPico;
    }
    const perSecond = n / ((performance.now() - t0) / 1000);
    assert.ok(sum > 0);
    assert.ok(perSecond > 100_000, `${Math.round(perSecond)} prices/s`);
  });
});
