import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRates, computeCost, picoToDecimalString, usdToPicoRate, type CostBreakdown, type CostResult, type Rates, type TokenCounts } from './cost.ts';
import { priceAt } from './price-table.ts';
import { realTable } from '../../../test/support/pricing/price-tables.ts';
import { textParts } from '../../../test/support/pricing/breakdown.ts';

function ratesOf(key: string): Rates {
  const model = realTable().models.get(key);
  assert.ok(model, `${key} is in the price table`);
  const point = priceAt(model, Date.UTC(2025, 0, 1));
  assert.ok(point);
  return point.rates;
}

function ok(r: CostResult): { total: number; breakdown: CostBreakdown; notes: readonly string[] } {
  assert.equal(r.ok, true, r.ok ? '' : r.reason);
  if (!r.ok) throw new Error('unreachable');
  const b = r.breakdown;
  assert.equal(r.total, Object.values(b).reduce((s, v) => s + v, 0), 'total is the sum of the parts');
  for (const v of [r.total, ...Object.values(b)]) {
    assert.ok(Number.isSafeInteger(v) && v >= 0, `${v} is a non-negative integer`);
  }
  return r;
}

function tokens(t: TokenCounts): TokenCounts {
  return { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, ...t };
}

describe('usdToPicoRate', () => {
  it('scales USD per token to pico-USD per token in decimal, exactly', () => {
    assert.equal(usdToPicoRate(0.000003), 3_000_000);
    assert.equal(usdToPicoRate(3e-7), 300_000);
    assert.equal(usdToPicoRate(0.00000375), 3_750_000);
    assert.equal(usdToPicoRate(3.75e-8), 37_500);
    assert.equal(usdToPicoRate(1.25e-7), 125_000);
    assert.equal(usdToPicoRate(0.0000165), 16_500_000);
    assert.equal(usdToPicoRate(2.5e-13), 0.25);
    assert.equal(usdToPicoRate(0), 0);
    assert.throws(() => usdToPicoRate(-1e-6), RangeError);
  });
});

describe('computeCost with real table entries', () => {
  it('claude-sonnet-4-5: every token kind at its own price (cache read, cache write; reasoning falls back to output)', () => {
    // input 3e-6, output 1.5e-5, cache_read 3e-7, cache_write 3.75e-6 (USD per token)
    const r = ok(
      computeCost(
        ratesOf('claude-sonnet-4-5'),
        tokens({ input_tokens: 10_000, cached_input_tokens: 6_000, cache_write_tokens: 2_000, output_tokens: 1_500, reasoning_tokens: 500 }),
      ),
    );
    assert.deepEqual(textParts(r.breakdown), {
      input: 2_000 * 3_000_000, // uncached = 10000 − 6000 − 2000
      cacheRead: 6_000 * 300_000,
      cacheWrite: 2_000 * 3_750_000,
      output: 1_000 * 15_000_000, // 1500 − 500 reasoning
      reasoning: 500 * 15_000_000,
    });
    assert.equal(r.total, 37_800_000_000);
    assert.equal(picoToDecimalString(r.total), '0.037800000000');
  });

  it('o1: reasoning tokens billed at the output price (o1 has no reasoning price), cached input at cache_read', () => {
    // input 1.5e-5, output 6e-5, cache_read 7.5e-6
    const r = ok(computeCost(ratesOf('o1'), tokens({ input_tokens: 1_000, cached_input_tokens: 200, output_tokens: 5_000, reasoning_tokens: 4_000 })));
    assert.deepEqual(textParts(r.breakdown), {
      input: 800 * 15_000_000,
      cacheRead: 200 * 7_500_000,
      cacheWrite: 0,
      output: 1_000 * 60_000_000,
      reasoning: 4_000 * 60_000_000,
    });
    assert.equal(r.total, 313_500_000_000);
  });

  it('dashscope/qwen-turbo: reasoning tokens at their own price (5e-7, output is 2e-7)', () => {
    const r = ok(computeCost(ratesOf('dashscope/qwen-turbo'), tokens({ input_tokens: 100, output_tokens: 1_000, reasoning_tokens: 600 })));
    assert.equal(r.breakdown.reasoning, 600 * 500_000);
    assert.equal(r.breakdown.output, 400 * 200_000);
    assert.equal(r.breakdown.input, 100 * 50_000);
  });

  it('gpt-4o: no cache_write price → cache writes at the input price', () => {
    // input 2.5e-6, output 1e-5, cache_read 1.25e-6
    const r = ok(computeCost(ratesOf('gpt-4o'), tokens({ input_tokens: 3_000, cached_input_tokens: 1_000, cache_write_tokens: 500, output_tokens: 10 })));
    assert.deepEqual(textParts(r.breakdown), { input: 1_500 * 2_500_000, cacheRead: 1_000 * 1_250_000, cacheWrite: 500 * 2_500_000, output: 10 * 10_000_000, reasoning: 0 });
  });

  it('mistral/mistral-large-latest: no cache_read price → cached input at the input price', () => {
    // input 5e-7, output 1.5e-6
    const r = ok(computeCost(ratesOf('mistral/mistral-large-latest'), tokens({ input_tokens: 1_000, cached_input_tokens: 400, output_tokens: 100 })));
    assert.deepEqual(textParts(r.breakdown), { input: 600 * 500_000, cacheRead: 400 * 500_000, cacheWrite: 0, output: 100 * 1_500_000, reasoning: 0 });
  });

  it('gpt-4o-mini: 1 input + 1 output token', () => {
    const r = ok(computeCost(ratesOf('gpt-4o-mini'), tokens({ input_tokens: 1, output_tokens: 1 })));
    assert.equal(r.total, 150_000 + 600_000);
    assert.equal(picoToDecimalString(r.total), '0.000000750000');
  });
});

describe('long-context tiers', () => {
  it('claude-sonnet-4-5 above 200k input tokens: all tokens at the above_200k prices', () => {
    // above_200k: input 6e-6, output 2.25e-5, cache_read 6e-7, cache_write 7.5e-6
    const r = ok(
      computeCost(
        ratesOf('claude-sonnet-4-5'),
        tokens({ input_tokens: 250_000, cached_input_tokens: 50_000, cache_write_tokens: 10_000, output_tokens: 2_000, reasoning_tokens: 1_000 }),
      ),
    );
    assert.deepEqual(textParts(r.breakdown), {
      input: 190_000 * 6_000_000,
      cacheRead: 50_000 * 600_000,
      cacheWrite: 10_000 * 7_500_000,
      output: 1_000 * 22_500_000,
      reasoning: 1_000 * 22_500_000,
    });
  });

  it('exactly 200,000 input tokens is still the base price (the tier needs more than 200k)', () => {
    const r = ok(computeCost(ratesOf('claude-sonnet-4-5'), tokens({ input_tokens: 200_000, output_tokens: 1 })));
    assert.equal(r.breakdown.input, 200_000 * 3_000_000);
    assert.equal(r.breakdown.output, 15_000_000);
    const r2 = ok(computeCost(ratesOf('claude-sonnet-4-5'), tokens({ input_tokens: 200_001, output_tokens: 1 })));
    assert.equal(r2.breakdown.input, 200_001 * 6_000_000);
  });

  it('gemini-2.5-pro: tier cache_read 2.5e-7 above 200k; below, 1.25e-7', () => {
    const below = ok(computeCost(ratesOf('gemini-2.5-pro'), tokens({ input_tokens: 100_000, cached_input_tokens: 100_000 })));
    assert.equal(below.breakdown.cacheRead, 100_000 * 125_000);
    const above = ok(computeCost(ratesOf('gemini-2.5-pro'), tokens({ input_tokens: 300_000, cached_input_tokens: 100_000, output_tokens: 10 })));
    assert.equal(above.breakdown.cacheRead, 100_000 * 250_000);
    assert.equal(above.breakdown.input, 200_000 * 2_500_000);
    assert.equal(above.breakdown.output, 10 * 15_000_000);
  });

  it('gpt-5.4: the above_272k tier (the table keeps every above_<N>k tier LiteLLM has)', () => {
    const base = ok(computeCost(ratesOf('gpt-5.4'), tokens({ input_tokens: 250_000, output_tokens: 100 })));
    assert.equal(base.breakdown.input, 250_000 * 2_500_000);
    const tier = ok(computeCost(ratesOf('gpt-5.4'), tokens({ input_tokens: 272_001, output_tokens: 100 })));
    assert.equal(tier.breakdown.input, 272_001 * 5_000_000);
    assert.equal(tier.breakdown.output, 100 * 22_500_000);
  });

  it('a field the tier lacks falls back to the base price of that field; the highest tier exceeded wins', () => {
    const rates = compileRates({
      effective_from: '1970-01-01',
      input: 0.000001,
      output: 0.000002,
      cache_read: 1e-7,
      reasoning: 0.000003,
      above_128k: { input: 0.000004 },
      above_200k: { input: 0.000005, output: 0.000006 },
    });
    const t128 = ok(computeCost(rates, tokens({ input_tokens: 150_000, cached_input_tokens: 10_000, output_tokens: 10, reasoning_tokens: 5 })));
    assert.deepEqual(textParts(t128.breakdown), { input: 140_000 * 4_000_000, cacheRead: 10_000 * 100_000, cacheWrite: 0, output: 5 * 2_000_000, reasoning: 5 * 3_000_000 });
    const t200 = ok(computeCost(rates, tokens({ input_tokens: 250_000, cached_input_tokens: 10_000, cache_write_tokens: 1, output_tokens: 10 })));
    // cache_write: tier lacks it, base lacks it → falls back to the (tier's) input price
    assert.deepEqual(textParts(t200.breakdown), { input: 239_999 * 5_000_000, cacheRead: 10_000 * 100_000, cacheWrite: 5_000_000, output: 10 * 6_000_000, reasoning: 0 });
  });
});

describe('clamping and missing prices', () => {
  const rates = compileRates({ effective_from: '1970-01-01', input: 0.000001, output: 0.000002, cache_read: 1e-7, cache_write: 0.000003 });

  it('never produces negative parts for invalid combinations', () => {
    // cached + cache_write > input; reasoning > output; negatives; NaN
    const r = ok(computeCost(rates, { input_tokens: 100, cached_input_tokens: 80, cache_write_tokens: 50, output_tokens: 10, reasoning_tokens: 30 }));
    assert.deepEqual(textParts(r.breakdown), { input: 0, cacheRead: 80 * 100_000, cacheWrite: 20 * 3_000_000, output: 0, reasoning: 10 * 2_000_000 });
    const neg = ok(computeCost(rates, { input_tokens: -5, output_tokens: Number.NaN, cached_input_tokens: -1, cache_write_tokens: 3, reasoning_tokens: -2 }));
    assert.equal(neg.total, 0);
    const big = ok(computeCost(rates, { input_tokens: 10, cached_input_tokens: 1_000 }));
    assert.deepEqual(textParts(big.breakdown), { input: 0, cacheRead: 10 * 100_000, cacheWrite: 0, output: 0, reasoning: 0 });
  });

  it('missing token fields count as 0', () => {
    assert.equal(ok(computeCost(rates, { input_tokens: 1 })).total, 1_000_000);
    assert.equal(ok(computeCost(rates, {})).total, 0);
  });

  it('a token kind with no price is reported, not costed as 0', () => {
    const outputOnly = compileRates({ effective_from: '1970-01-01', output: 0.0000075 });
    const r = computeCost(outputOnly, { input_tokens: 10, output_tokens: 10 });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'missing_price');
    assert.equal(!r.ok && r.reason, 'no input price');
    assert.equal(ok(computeCost(outputOnly, { output_tokens: 10 })).total, 75_000_000);
    const inputOnly = compileRates({ effective_from: '1970-01-01', input: 1e-7 });
    const r2 = computeCost(inputOnly, { input_tokens: 10, output_tokens: 1 });
    assert.equal(!r2.ok && r2.reason, 'no output price');
  });

  it('a cost beyond the exact integer range is refused', () => {
    const r = computeCost(rates, { input_tokens: 1e13 });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'out_of_range');
  });

  it('rounds each part to the nearest pico-USD', () => {
    const sub = compileRates({ effective_from: '1970-01-01', input: 2.5e-13, output: 1.5e-12 });
    const r = ok(computeCost(sub, { input_tokens: 3, output_tokens: 3 }));
    assert.deepEqual([r.breakdown.input, r.breakdown.output], [1, 5]); // 0.75 → 1, 4.5 → 5
  });
});

describe('picoToDecimalString', () => {
  it('gives an exact decimal with 12 fraction digits', () => {
    assert.equal(picoToDecimalString(2_500_000), '0.000002500000');
    assert.equal(picoToDecimalString(0), '0.000000000000');
    assert.equal(picoToDecimalString(1), '0.000000000001');
    assert.equal(picoToDecimalString(1_000_000_000_000), '1.000000000000');
    assert.equal(picoToDecimalString(123_456_789_012_345), '123.456789012345');
    assert.equal(picoToDecimalString(Number.MAX_SAFE_INTEGER), '9007.199254740991');
    assert.equal(picoToDecimalString(-5), '-0.000000000005');
  });

  it('refuses non-integers and unsafe integers', () => {
    assert.throws(() => picoToDecimalString(1.5), RangeError);
    assert.throws(() => picoToDecimalString(2 ** 53), RangeError);
    assert.throws(() => picoToDecimalString(Number.NaN), RangeError);
  });
});
