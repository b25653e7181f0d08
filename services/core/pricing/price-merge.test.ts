import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { convertLiteLLM, serializePriceTable } from './litellm-import.ts';
import {
  changedFields,
  EffectiveDateError,
  formatChange,
  mergePriceTables,
  snapshotDate,
  type MergeReport,
} from './price-merge.ts';
import { parsePriceTableFile, type PriceTableFile } from './price-table.ts';
import { LITELLM_SNAPSHOT, PRICES_JSON } from '../../../test/support/pricing/price-tables.ts';

/** The table on disk before the refresh: gpt-4o already has a dated price cut. */
function existing(): PriceTableFile {
  return {
    format: 1,
    version: 'litellm-aaaaaaaaaaaa',
    source: 'test',
    source_updated: '2026-07-24T18:23:43.215560+00:00',
    license: 'MIT (BerriAI/litellm)',
    models: {
      'gpt-4o': {
        provider: 'openai',
        mode: 'chat',
        prices: [
          { effective_from: '2025-06-01', input: 0.000002, output: 0.000008 },
          { effective_from: '1970-01-01', input: 0.0000025, output: 0.00001 },
        ],
      },
      'claude-x': {
        provider: 'anthropic',
        mode: 'chat',
        prices: [{ effective_from: '1970-01-01', input: 0.000003, output: 0.000015, above_200k: { input: 0.000006, output: 0.0000225 } }],
      },
      'embed-y': { provider: 'mistral', mode: 'embedding', prices: [{ effective_from: '1970-01-01', input: 1e-7 }] },
      'retired-z': { provider: 'openai', mode: 'chat', prices: [{ effective_from: '1970-01-01', input: 0.00003, output: 0.00006 }] },
    },
  };
}

/** A fresh conversion (one price per model, dated as convertLiteLLM's default). */
function fresh(models: PriceTableFile['models']): PriceTableFile {
  return {
    format: 1,
    version: 'litellm-bbbbbbbbbbbb',
    source: 'test',
    source_updated: '2026-09-01T10:00:00+00:00',
    license: 'MIT (BerriAI/litellm)',
    models,
  };
}

/** The snapshot as of existing(): every model's newest price, retired-z included. */
function sameAsExisting(): PriceTableFile['models'] {
  return {
    'gpt-4o': { provider: 'openai', mode: 'chat', prices: [{ effective_from: '1970-01-01', input: 0.000002, output: 0.000008 }] },
    'claude-x': {
      provider: 'anthropic',
      mode: 'chat',
      prices: [{ effective_from: '1970-01-01', input: 0.000003, output: 0.000015, above_200k: { input: 0.000006, output: 0.0000225 } }],
    },
    'embed-y': { provider: 'mistral', mode: 'embedding', prices: [{ effective_from: '1970-01-01', input: 1e-7 }] },
    'retired-z': { provider: 'openai', mode: 'chat', prices: [{ effective_from: '1970-01-01', input: 0.00003, output: 0.00006 }] },
  };
}

function counts(r: MergeReport): [number, number, number, number] {
  return [r.unchanged, r.changed.length, r.added.length, r.removed.length];
}

describe('mergePriceTables', () => {
  it('unchanged: prices equal to the newest entry keep the entries as they are; the output is byte-identical', () => {
    const before = existing();
    const { table, report } = mergePriceTables(before, fresh(sameAsExisting()), { effectiveFrom: '2026-09-01' });
    assert.deepEqual(counts(report), [4, 0, 0, 0]);
    assert.deepEqual(table.models['gpt-4o'].prices.map((p) => p.effective_from), ['1970-01-01', '2025-06-01']);
    assert.equal(serializePriceTable(table), serializePriceTable({ ...before, version: table.version, source_updated: table.source_updated }));
    // the header is the new snapshot's
    assert.equal(table.version, 'litellm-bbbbbbbbbbbb');
    assert.equal(table.source_updated, '2026-09-01T10:00:00+00:00');
  });

  it('unchanged models never conflict with the effective date (a re-run with the same date is a no-op)', () => {
    // gpt-4o's newest price is dated 2025-06-01, after this effective date, but it is unchanged
    const { table, report } = mergePriceTables(existing(), fresh(sameAsExisting()), { effectiveFrom: '2025-01-01' });
    assert.equal(report.unchanged, 4);
    assert.equal(serializePriceTable(table), serializePriceTable({ ...existing(), version: table.version, source_updated: table.source_updated }));
  });

  it('changed: appends a new entry dated effectiveFrom and keeps the older ones', () => {
    const models = sameAsExisting();
    models['gpt-4o'].prices = [{ effective_from: '1970-01-01', input: 0.0000015, output: 0.000006, cache_read: 7.5e-7 }];
    const { table, report } = mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-09-01' });
    assert.deepEqual(counts(report), [3, 1, 0, 0]);
    assert.deepEqual(table.models['gpt-4o'], {
      provider: 'openai',
      mode: 'chat',
      prices: [
        { effective_from: '1970-01-01', input: 0.0000025, output: 0.00001 },
        { effective_from: '2025-06-01', input: 0.000002, output: 0.000008 },
        { effective_from: '2026-09-01', input: 0.0000015, output: 0.000006, cache_read: 7.5e-7 },
      ],
    });
    const [c] = report.changed;
    assert.equal(c.model, 'gpt-4o');
    assert.deepEqual(c.from, { effective_from: '2025-06-01', input: 0.000002, output: 0.000008 });
    assert.deepEqual(c.fields, ['input', 'output', 'cache_read']);
    assert.equal(formatChange(c), 'gpt-4o: input 0.000002→0.0000015, output 0.000008→0.000006 (changed: input, output, cache_read)');
    assert.deepEqual(parsePriceTableFile(JSON.parse(serializePriceTable(table))).models['gpt-4o'].prices.length, 3);
  });

  it('changed: a difference in a long-context tier alone is a change', () => {
    const models = sameAsExisting();
    models['claude-x'].prices = [{ effective_from: '1970-01-01', input: 0.000003, output: 0.000015, above_200k: { input: 0.000006, output: 0.000025 } }];
    const { table, report } = mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-09-01' });
    assert.deepEqual(counts(report), [3, 1, 0, 0]);
    assert.deepEqual(report.changed[0].fields, ['above_200k']);
    assert.equal(formatChange(report.changed[0]), 'claude-x: input 0.000003, output 0.000015 (changed: above_200k)');
    assert.deepEqual(table.models['claude-x'].prices.map((p) => p.effective_from), ['1970-01-01', '2026-09-01']);
  });

  it('changed: a new service-tier, 1-hour cache-write or audio price is a change, dated, the older price kept', () => {
    const models = sameAsExisting();
    const next = { effective_from: '1970-01-01', input: 0.000002, output: 0.000008, input_audio: 0.00004, priority: { input: 0.0000034, output: 0.0000136 } };
    models['gpt-4o'].prices = [next];
    models['claude-x'].prices = [{ ...models['claude-x'].prices[0], cache_write_1h: 0.000006 }];
    const { table, report } = mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-09-01' });
    assert.deepEqual(counts(report), [2, 2, 0, 0]);
    assert.deepEqual(report.changed.map((c) => [c.model, c.fields]), [
      ['claude-x', ['cache_write_1h']],
      ['gpt-4o', ['input_audio', 'priority']],
    ]);
    assert.deepEqual(table.models['gpt-4o'].prices.at(-1), { ...next, effective_from: '2026-09-01' });
    assert.deepEqual(table.models['gpt-4o'].prices.map((p) => p.effective_from), ['1970-01-01', '2025-06-01', '2026-09-01']);
    // and the merged file reads back, so these prices survive the next refresh
    const reread = parsePriceTableFile(JSON.parse(serializePriceTable(table)));
    assert.deepEqual(reread.models['gpt-4o'].prices.at(-1)?.priority, { input: 0.0000034, output: 0.0000136 });
  });

  it('changed: a field that appears or disappears is a change (and absent prints as —)', () => {
    const models = sameAsExisting();
    models['embed-y'].prices = [{ effective_from: '1970-01-01', input: 1e-7, output: 0 }];
    const { report } = mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-09-01' });
    assert.deepEqual(report.changed[0].fields, ['output']);
    assert.equal(formatChange(report.changed[0]), 'embed-y: input 1e-7, output —→0 (changed: output)');
    assert.deepEqual(changedFields({ effective_from: '1970-01-01', input: 1, above_128k: { input: 2 } }, { effective_from: '2000-01-01', input: 1 }), ['above_128k']);
  });

  it('removed: a model gone from the snapshot keeps its entries and is reported', () => {
    const models = sameAsExisting();
    delete models['retired-z'];
    const { table, report } = mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-09-01' });
    assert.deepEqual(counts(report), [3, 0, 0, 1]);
    assert.deepEqual(report.removed, ['retired-z']);
    assert.deepEqual(table.models['retired-z'], existing().models['retired-z']);
  });

  it('added: a model new in the snapshot gets one entry dated effectiveFrom', () => {
    const models = sameAsExisting();
    models['acme-llm'] = { provider: 'acme', prices: [{ effective_from: '1970-01-01', input: 1e-7, output: 4e-7 }] };
    const { table, report } = mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-09-01' });
    assert.deepEqual(counts(report), [4, 0, 1, 0]);
    assert.deepEqual(report.added, ['acme-llm']);
    assert.deepEqual(table.models['acme-llm'], { provider: 'acme', prices: [{ effective_from: '2026-09-01', input: 1e-7, output: 4e-7 }] });
  });

  it('takes provider and mode from the snapshot and reports the models relabelled', () => {
    const models = sameAsExisting();
    models['embed-y'] = { provider: 'mistral_ai', prices: models['embed-y'].prices };
    const { table, report } = mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-09-01' });
    assert.deepEqual(report.relabelled, ['embed-y']);
    assert.equal(report.unchanged, 4);
    assert.deepEqual(table.models['embed-y'], { provider: 'mistral_ai', prices: [{ effective_from: '1970-01-01', input: 1e-7 }] });
  });

  it('bad effective date: not after a changed model\'s newest date is an error naming the model', () => {
    const models = sameAsExisting();
    models['gpt-4o'].prices = [{ effective_from: '1970-01-01', input: 0.0000015, output: 0.000006 }];
    models['embed-y'].prices = [{ effective_from: '1970-01-01', input: 2e-7 }];
    for (const date of ['2025-06-01', '2025-05-31']) {
      assert.throws(
        () => mergePriceTables(existing(), fresh(models), { effectiveFrom: date }),
        (err: unknown) => {
          assert.ok(err instanceof EffectiveDateError);
          // embed-y's newest is 1970-01-01, earlier than the date: only gpt-4o conflicts
          assert.deepEqual(err.conflicts, [{ model: 'gpt-4o', newest: '2025-06-01' }]);
          assert.match(err.message, new RegExp(`effective date ${date} is not after the newest existing price of 1 changed model\\(s\\): "gpt-4o" \\(newest 2025-06-01\\)`));
          return true;
        },
      );
    }
    assert.throws(() => mergePriceTables(existing(), fresh(models), { effectiveFrom: '1970-01-01' }), /"embed-y" \(newest 1970-01-01\), "gpt-4o" \(newest 2025-06-01\)/);
    assert.throws(() => mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-9-1' }), /expected YYYY-MM-DD/);
    assert.throws(() => mergePriceTables(existing(), fresh(models), { effectiveFrom: '2026-02-30' }), /expected YYYY-MM-DD/);
  });

  it('is deterministic and pure: model order does not matter, the inputs are not modified', () => {
    const models = sameAsExisting();
    models['gpt-4o'].prices = [{ effective_from: '1970-01-01', input: 0.0000015, output: 0.000006 }];
    models['new-b'] = { provider: 'x', prices: [{ effective_from: '1970-01-01', input: 1 }] };
    models['new-a'] = { provider: 'x', prices: [{ effective_from: '1970-01-01', input: 1 }] };
    delete models['retired-z'];
    const a = existing();
    const f = fresh(models);
    const aCopy = structuredClone(a);
    const fCopy = structuredClone(f);
    const r1 = mergePriceTables(a, f, { effectiveFrom: '2026-09-01' });
    assert.deepEqual(a, aCopy);
    assert.deepEqual(f, fCopy);
    const reversed = (t: PriceTableFile): PriceTableFile => ({ ...t, models: Object.fromEntries(Object.entries(t.models).reverse()) });
    const r2 = mergePriceTables(reversed(a), reversed(f), { effectiveFrom: '2026-09-01' });
    assert.equal(serializePriceTable(r1.table), serializePriceTable(r2.table));
    assert.deepEqual(r1.report, r2.report);
    assert.deepEqual(r1.report.added, ['new-a', 'new-b']);
    // merging the result again with the same snapshot changes nothing
    const r3 = mergePriceTables(r1.table, f, { effectiveFrom: '2026-09-01' });
    assert.equal(serializePriceTable(r3.table), serializePriceTable(r1.table));
    assert.deepEqual(counts(r3.report), [5, 0, 0, 1]); // retired-z is still reported as no longer in the source
  });
});

describe('snapshotDate', () => {
  it("takes the date of the snapshot's last_updated; undefined when absent or not a date", () => {
    assert.equal(snapshotDate('2026-07-24T18:23:43.215560+00:00'), '2026-07-24');
    assert.equal(snapshotDate('2026-07-24'), '2026-07-24');
    assert.equal(snapshotDate('2026-07-24 18:23:43'), '2026-07-24');
    assert.equal(snapshotDate(undefined), undefined);
    assert.equal(snapshotDate('yesterday'), undefined);
    assert.equal(snapshotDate('2026-02-30T00:00:00Z'), undefined);
    assert.equal(snapshotDate('2026-07-245'), undefined);
  });
});

describe('refreshing the committed schemas/pricing/prices.json from the same snapshot', () => {
  it('is a no-op, byte for byte', () => {
    assert.ok(existsSync(LITELLM_SNAPSHOT), `the price snapshot must sit beside the repo, as in CI: ${LITELLM_SNAPSHOT}`);
    const committed = readFileSync(PRICES_JSON, 'utf8');
    const { table: freshTable } = convertLiteLLM(readFileSync(LITELLM_SNAPSHOT, 'utf8'));
    const date = snapshotDate(freshTable.source_updated);
    assert.equal(date, '2026-07-24');
    const { table, report } = mergePriceTables(parsePriceTableFile(JSON.parse(committed)), freshTable, { effectiveFrom: date! });
    assert.deepEqual(counts(report), [2521, 0, 0, 0]);
    assert.equal(serializePriceTable(table), committed);
  });
});
