import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSpanTree, decimalToPico, picoToDecimal, type SpanRow } from './span-tree.ts';

const at = (ms: number) => new Date(Date.UTC(2026, 11, 1) + ms).toISOString();
const row = (span_id: string, parent_span_id: string, o: Partial<SpanRow> = {}): SpanRow => ({
  span_id,
  parent_span_id,
  span_kind: 'llm',
  ts: at(0),
  latency_ms: 100,
  cost_usd: '0.001',
  input_tokens: 10,
  output_tokens: 1,
  status: 'ok',
  ...o,
});

describe('span tree', () => {
  it('children under parents, subtree totals exact, latency as wall time', () => {
    const { roots, totals } = buildSpanTree([
      row('a', '', { span_kind: 'agent', cost_usd: null, input_tokens: 0, output_tokens: 0, latency_ms: 1000 }),
      row('b', 'a', { ts: at(10), cost_usd: '0.000000000001' }),
      row('c', 'a', { ts: at(900), latency_ms: 300, span_kind: 'tool', cost_usd: null, status: 'error', input_tokens: 0, output_tokens: 0 }),
      row('d', 'b', { ts: at(20), cost_usd: '0.1' }),
    ]);
    assert.equal(roots.length, 1);
    assert.deepEqual(roots[0].children.map((c) => c.span_id), ['b', 'c']);
    assert.deepEqual(roots[0].subtree, { cost_usd: '0.100000000001', input_tokens: 20, output_tokens: 2, model_calls: 2, unpriced_calls: 0, errors: 1, spans: 4, latency_ms: 1200 });
    assert.equal(roots[0].children[0].subtree.cost_usd, '0.100000000001');
    assert.deepEqual(totals, roots[0].subtree);
  });

  it('a span whose parent is not stored is a root; a loop of parent ids is broken at its first span', () => {
    const { roots, totals } = buildSpanTree([row('x', 'missing'), row('p', 'q', { ts: at(5) }), row('q', 'p', { ts: at(6) }), row('s', 's', { ts: at(7) })]);
    assert.deepEqual(roots.map((r) => r.span_id), ['x', 'p', 's']);
    assert.deepEqual(roots[1].children.map((c) => c.span_id), ['q']);
    assert.equal(totals.spans, 4, 'every span once');
  });

  it('a 20,000-deep chain does not overflow the stack', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => row(`s${i}`, i === 0 ? '' : `s${i - 1}`, { ts: at(i) }));
    const { roots, totals } = buildSpanTree(rows);
    assert.equal(roots.length, 1);
    assert.equal(totals.model_calls, 20_000);
    assert.equal(totals.cost_usd, '20');
  });

  it('decimal text ↔ pico-USD exactly', () => {
    assert.equal(decimalToPico('0.0068'), 6_800_000_000n);
    assert.equal(decimalToPico('12'), 12_000_000_000_000n);
    assert.equal(picoToDecimal(6_800_000_000n), '0.0068');
    assert.equal(picoToDecimal(0n), '0');
    assert.equal(picoToDecimal(decimalToPico('999999.999999999999')), '999999.999999999999');
  });
});
