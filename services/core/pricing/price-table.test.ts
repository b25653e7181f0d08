import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCodes } from '../errors.ts';
import { formatPricePath } from './price-schema.ts';
import {
  buildPriceTable,
  loadPriceTable,
  parseOverridesFile,
  parsePriceTableFile,
  priceAt,
  PriceTableError,
  type PriceTableFile,
} from './price-table.ts';
import { OVERRIDES_EXAMPLE, PRICES_JSON } from '../../../test/support/pricing/price-tables.ts';

function base(): PriceTableFile {
  return {
    format: 1,
    version: 'litellm-000000000000',
    source: 'test',
    license: 'MIT (BerriAI/litellm)',
    models: {
      'gpt-4o': { provider: 'openai', mode: 'chat', prices: [{ effective_from: '1970-01-01', input: 0.0000025, output: 0.00001, cache_read: 0.00000125 }] },
      'claude-x': { provider: 'anthropic', mode: 'chat', prices: [{ effective_from: '1970-01-01', input: 0.000003, output: 0.000015 }] },
    },
  };
}

function issuesOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PriceTableError, `expected PriceTableError, got ${String(err)}`);
    assert.equal(err.code, ErrorCodes.CONFIG_INVALID);
    return err.issues;
  }
  assert.fail('expected an error');
}

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);

describe('effective dates and override merging', () => {
  const overrides = parseOverridesFile({
    models: {
      // a price cut effective 2025-06-01 added to an imported model
      'gpt-4o': { prices: [{ effective_from: '2025-06-01', input: 0.000002, output: 0.000008 }] },
    },
  });
  const table = buildPriceTable(parsePriceTableFile(base()), overrides);
  const gpt4o = table.models.get('gpt-4o')!;

  it('keeps the dated prices sorted; the price in force is the last with effective_from <= t', () => {
    assert.deepEqual(
      gpt4o.points.map((p) => [p.effectiveFrom, p.origin]),
      [
        ['1970-01-01', 'table'],
        ['2025-06-01', 'override'],
      ],
    );
    assert.equal(priceAt(gpt4o, day('2025-05-31') + 86_399_999)?.effectiveFrom, '1970-01-01');
    assert.equal(priceAt(gpt4o, day('2025-06-01'))?.effectiveFrom, '2025-06-01'); // 00:00 UTC
    assert.equal(priceAt(gpt4o, day('2026-01-01'))?.effectiveFrom, '2025-06-01');
    assert.equal(priceAt(gpt4o, 0)?.effectiveFrom, '1970-01-01');
    assert.equal(priceAt(gpt4o, -1), undefined);
  });

  it('versions the table with the overrides and each price with its effective_from', () => {
    assert.match(table.version, /^litellm-000000000000\+overrides-[0-9a-f]{8}$/);
    assert.equal(gpt4o.points[1].version, `${table.version}@2025-06-01`);
    assert.equal(buildPriceTable(base()).models.get('gpt-4o')!.points[0].version, 'litellm-000000000000@1970-01-01');
  });

  it('an override with the same effective_from replaces that price; replace: true replaces them all', () => {
    const t = buildPriceTable(
      base(),
      parseOverridesFile({
        models: {
          'gpt-4o': { prices: [{ effective_from: '1970-01-01', input: 0.000001, output: 0.000004 }] },
          'claude-x': {
            replace: true,
            provider: 'bedrock',
            prices: [
              { effective_from: '2024-01-01', input: 0.000001, output: 0.000005 },
              { effective_from: '2023-01-01', input: 0.000002, output: 0.000006 },
            ],
          },
        },
      }),
    );
    const g = t.models.get('gpt-4o')!;
    assert.equal(g.points.length, 1);
    assert.equal(g.points[0].price.input, 0.000001);
    assert.equal(g.points[0].origin, 'override');
    assert.equal(g.provider, 'openai');
    const c = t.models.get('claude-x')!;
    assert.deepEqual(
      c.points.map((p) => p.effectiveFrom),
      ['2023-01-01', '2024-01-01'],
    );
    assert.equal(c.provider, 'bedrock');
    assert.equal(priceAt(c, day('2022-12-31')), undefined);
  });

  it('an override can add a model (provider defaults to "custom") and aliases to it', () => {
    const t = buildPriceTable(
      base(),
      parseOverridesFile({
        models: { 'acme-llm': { prices: [{ effective_from: '2025-01-01', input: 1e-7, output: 2e-7 }] } },
        aliases: { 'acme-prod': 'acme-llm' },
      }),
    );
    assert.equal(t.models.get('acme-llm')!.provider, 'custom');
    assert.equal(t.aliases['acme-prod'], 'acme-llm');
  });

  it('an override can set service-tier, 1-hour cache-write, audio and image prices, dated like any other', () => {
    const t = buildPriceTable(
      base(),
      parseOverridesFile({
        models: {
          'claude-x': {
            prices: [
              {
                effective_from: '2026-01-01',
                input: 0.000003,
                output: 0.000015,
                cache_write: 0.00000375,
                cache_write_1h: 0.000006,
                batch: { input: 0.0000015, output: 0.0000075 },
                priority: { input: 0.000005, above_200k: { input: 0.00001 } },
                input_audio: 0.00001,
                output_image: 0.00003,
              },
            ],
          },
        },
      }),
    );
    const claude = t.models.get('claude-x')!;
    assert.deepEqual(claude.points.map((p) => p.effectiveFrom), ['1970-01-01', '2026-01-01']);
    const rates = priceAt(claude, Date.UTC(2026, 5, 1))!.rates;
    assert.equal(rates.base.cacheWrite1h.pico, 6_000_000);
    assert.equal(rates.service.batch?.base.input.pico, 1_500_000);
    assert.equal(rates.service.priority?.tiers[0].rates.input.pico, 10_000_000);
    assert.equal(rates.base.inputAudio.pico, 10_000_000);
    assert.equal(rates.base.outputImage.pico, 30_000_000);
    // before the override's date the table's own price, without those prices
    assert.equal(priceAt(claude, Date.UTC(2025, 5, 1))!.rates.service.batch, undefined);
  });

  it('without overrides the table version is the imported one', () => {
    assert.equal(buildPriceTable(base()).version, 'litellm-000000000000');
  });
});

describe('validation errors name the exact path', () => {
  it('a bad effective_from in an override', () => {
    const issues = issuesOf(() =>
      parseOverridesFile({
        models: {
          'gpt-4o': {
            prices: [
              { effective_from: '2025-01-01', input: 1e-6, output: 2e-6 },
              { effective_from: '2025-6-1', input: 1e-6, output: 2e-6 },
            ],
          },
        },
      }),
    );
    assert.deepEqual(issues, ['models["gpt-4o"].prices[1].effective_from: expected YYYY-MM-DD']);
  });

  it('impossible dates, negative and non-numeric prices, unknown fields, tiers, duplicates', () => {
    const issues = issuesOf(() =>
      parseOverridesFile({
        models: {
          o1: {
            prices: [
              { effective_from: '2025-02-30', input: -1, output: '2e-6', inptu: 1 },
              { effective_from: '2025-03-01', output: 1e-6, above_200k: { input: 1e-6, inptu: 2 } },
              { effective_from: '2025-03-01', output: 1e-6, above_x: {} },
            ],
          },
          m2: { prices: [] },
          m3: { prices: [{ effective_from: '2025-01-01' }] },
        },
        aliases: { a: '' },
        extra: true,
      }),
    );
    const expected = [
      'models["o1"].prices[0].effective_from: expected YYYY-MM-DD',
      'models["o1"].prices[0].input: expected a price >= 0',
      'models["o1"].prices[0].output: expected a number (USD per token)',
      'models["o1"].prices[0].inptu: unknown field (expected effective_from, input, output, cache_read, cache_write, cache_write_1h, reasoning, input_audio, output_audio, input_image, output_image, above_<N>k, flex, priority or batch)',
      'models["o1"].prices[1].above_200k.inptu: unknown field (expected input, output, cache_read, cache_write, cache_write_1h, reasoning, input_audio, output_audio, input_image or output_image)',
      'models["o1"].prices[2].above_x: unknown field (expected effective_from, input, output, cache_read, cache_write, cache_write_1h, reasoning, input_audio, output_audio, input_image, output_image, above_<N>k, flex, priority or batch)',
      'models["o1"].prices[2].effective_from: duplicate effective_from 2025-03-01',
      'models["m2"].prices: expected at least one price',
      'models["m3"].prices[0]: a price needs input and/or output',
      'aliases["a"]: alias target must not be empty',
      '(root): Unrecognized key: "extra"',
    ];
    for (const e of expected) assert.ok(issues.includes(e), `missing issue ${e}\n got:\n ${issues.join('\n ')}`);
  });

  it('service tiers and their long-context tiers are validated field by field', () => {
    const issues = issuesOf(() =>
      parseOverridesFile({
        models: {
          m: {
            prices: [
              { effective_from: '2025-01-01', input: 1e-6, priority: { inptu: 1, above_200k: { output: -1 } }, batch: 'half', flex: {} },
            ],
          },
        },
      }),
    );
    for (const e of [
      'models["m"].prices[0].priority.inptu: unknown field (expected input, output, cache_read, cache_write, cache_write_1h, reasoning, input_audio, output_audio, input_image, output_image or above_<N>k)',
      'models["m"].prices[0].priority.above_200k.output: expected a price >= 0',
      'models["m"].prices[0].batch: expected an object of per-token prices (input, output, cache_read, cache_write, cache_write_1h, reasoning, input_audio, output_audio, input_image, output_image)',
      'models["m"].prices[0].flex: a tier needs at least one price',
    ]) {
      assert.ok(issues.includes(e), `missing issue ${e}\n got:\n ${issues.join('\n ')}`);
    }
  });

  it('alias problems: unknown target, alias shadowed by a model', () => {
    const issues = issuesOf(() => buildPriceTable(base(), parseOverridesFile({ aliases: { mine: 'gpt-5-nope', 'gpt-4o': 'claude-x' } })));
    assert.deepEqual(issues, [
      'aliases["mine"]: target model "gpt-5-nope" is not in the price table',
      'aliases["gpt-4o"]: "gpt-4o" is already a price-table model, so the alias would never apply (override the model instead)',
    ]);
  });

  it('the table file itself is validated', () => {
    const bad = base() as unknown as { format: number; models: Record<string, unknown> };
    bad.format = 2;
    bad.models['x'] = { provider: '', prices: [{ effective_from: '1970-01-01', input: 1 }] };
    assert.deepEqual(issuesOf(() => parsePriceTableFile(bad)), ['format: expected format 1', 'models["x"].provider: expected a provider name']);
  });

  it('formatPricePath brackets record keys and non-identifiers', () => {
    assert.equal(formatPricePath(['models', 'o1', 'prices', 0, 'above_200k', 'input']), 'models["o1"].prices[0].above_200k.input');
    assert.equal(formatPricePath(['aliases', 'my alias']), 'aliases["my alias"]');
    assert.equal(formatPricePath([]), '(root)');
  });
});

describe('loadPriceTable (files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prices-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the committed table and the example overrides', () => {
    const table = loadPriceTable({ baseFile: PRICES_JSON, overridesFile: OVERRIDES_EXAMPLE });
    assert.ok(table.models.size > 2500);
    assert.match(table.version, /^litellm-[0-9a-f]{12}\+overrides-[0-9a-f]{8}$/);
    const g = table.models.get('gemini-1.5-pro')!;
    assert.deepEqual(
      g.points.map((p) => p.effectiveFrom),
      ['1970-01-01', '2024-10-01'],
    );
    assert.equal(table.models.get('wandb/openai/gpt-oss-120b')!.points[0].price.input, 1.5e-7);
    assert.equal(table.aliases['claude-3-5-sonnet-latest'], 'claude-3-5-sonnet-20241022');
  });

  it('an empty overridesFile means none', () => {
    const table = loadPriceTable({ baseFile: PRICES_JSON, overridesFile: '' });
    assert.match(table.version, /^litellm-[0-9a-f]{12}$/);
  });

  it('names the file in errors: unreadable, not JSON, invalid', () => {
    const missing = join(dir, 'missing.json');
    assert.throws(() => loadPriceTable({ baseFile: PRICES_JSON, overridesFile: missing }), (err: Error) => err.message.includes(`cannot read price overrides ${missing}`));
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{ "models": ');
    assert.throws(() => loadPriceTable({ baseFile: PRICES_JSON, overridesFile: notJson }), (err: Error) => err.message.includes(`invalid price overrides ${notJson}`) && err.message.includes('not valid JSON'));
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ models: { 'gpt-4o': { prices: [{ effective_from: '2025-13-01', input: 1e-6 }] } } }));
    assert.throws(
      () => loadPriceTable({ baseFile: PRICES_JSON, overridesFile: invalid }),
      (err: Error) => err.message === `invalid price overrides ${invalid}:\n  models["gpt-4o"].prices[0].effective_from: expected YYYY-MM-DD`,
    );
    const badAlias = join(dir, 'alias.json');
    writeFileSync(badAlias, JSON.stringify({ aliases: { x: 'no-such-model' } }));
    assert.throws(() => loadPriceTable({ baseFile: PRICES_JSON, overridesFile: badAlias }), (err: Error) => err.message.startsWith(`invalid price overrides ${badAlias}:`));
  });
});
