/**
 * A trace's spans as the tree an agent run is: each span with its children and the
 * totals of its subtree — cost (exact, in decimal text), tokens, model calls, errors, and
 * latency as wall time (first start to last end; children overlap, so their latencies do
 * not add up). A span whose parent is not stored (not arrived yet, or dropped by the
 * client's sampler) is a root of its own; so is the first span of a loop of parent ids,
 * so a bad trace still comes back whole and finite.
 */
import { MODEL_CALL_KINDS } from '../core/schema/fields.ts';

export interface SpanRow {
  span_id: string;
  parent_span_id: string;
  span_kind: string;
  ts: string;
  latency_ms: number;
  cost_usd: string | null;
  input_tokens: number;
  output_tokens: number;
  status: string;
  [field: string]: unknown;
}

export interface SubtreeTotals {
  cost_usd: string;
  input_tokens: number;
  output_tokens: number;
  model_calls: number;
  unpriced_calls: number;
  errors: number;
  spans: number;
  latency_ms: number;
}

export type SpanNode<R extends SpanRow> = R & { subtree: SubtreeTotals; children: SpanNode<R>[] };

const SCALE = 12;

/** '0.0068' → 6_800_000_000n pico-USD (12 decimals, as stored). */
export function decimalToPico(text: string): bigint {
  const negative = text.startsWith('-');
  const [whole, frac = ''] = (negative ? text.slice(1) : text).split('.');
  const pico = BigInt(whole || '0') * 10n ** BigInt(SCALE) + BigInt((frac + '0'.repeat(SCALE)).slice(0, SCALE) || '0');
  return negative ? -pico : pico;
}

/** Pico-USD → decimal text with trailing zeros trimmed, as ClickHouse prints a Decimal. */
export function picoToDecimal(pico: bigint): string {
  const negative = pico < 0n;
  const s = (negative ? -pico : pico).toString().padStart(SCALE + 1, '0');
  const text = `${s.slice(0, -SCALE)}.${s.slice(-SCALE)}`.replace(/0+$/, '').replace(/\.$/, '');
  return negative ? `-${text}` : text;
}

export function buildSpanTree<R extends SpanRow>(rows: readonly R[]): { roots: SpanNode<R>[]; totals: SubtreeTotals } {
  const nodes = rows.map((r) => ({ ...r, subtree: undefined as unknown as SubtreeTotals, children: [] as SpanNode<R>[] })) as SpanNode<R>[];
  const byId = new Map<string, SpanNode<R>>();
  for (const n of nodes) if (n.span_id !== '' && !byId.has(n.span_id)) byId.set(n.span_id, n);
  const parentOf = (n: SpanNode<R>) => (n.parent_span_id === '' ? undefined : byId.get(n.parent_span_id));

  // Roots: no stored parent. Then, for spans no root reaches (a loop), the earliest of each loop.
  const reached = new Set<SpanNode<R>>();
  const roots: SpanNode<R>[] = [];
  const attach = (root: SpanNode<R>) => {
    roots.push(root);
    const stack = [root];
    reached.add(root);
    while (stack.length > 0) {
      const n = stack.pop()!;
      for (const c of childrenOf.get(n) ?? []) {
        if (reached.has(c)) continue;
        reached.add(c);
        n.children.push(c);
        stack.push(c);
      }
    }
  };
  const childrenOf = new Map<SpanNode<R>, SpanNode<R>[]>();
  for (const n of nodes) {
    const p = parentOf(n);
    if (p && p !== n) childrenOf.set(p, [...(childrenOf.get(p) ?? []), n]);
  }
  for (const n of nodes) if (!parentOf(n) || parentOf(n) === n) attach(n);
  for (const n of nodes) if (!reached.has(n)) attach(n);
  const byStart = (a: SpanNode<R>, b: SpanNode<R>) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
  roots.sort(byStart);
  for (const n of nodes) n.children.sort(byStart);

  // Subtree totals, children before parents (iterative: a deep tree must not overflow the stack).
  const order: SpanNode<R>[] = [];
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    order.push(n);
    stack.push(...n.children);
  }
  const wall = new Map<SpanNode<R>, { start: number; end: number; pico: bigint }>();
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    const start = Date.parse(n.ts);
    const own = { start, end: start + n.latency_ms, pico: n.cost_usd === null ? 0n : decimalToPico(n.cost_usd) };
    const t: SubtreeTotals = {
      cost_usd: '',
      input_tokens: n.input_tokens,
      output_tokens: n.output_tokens,
      model_calls: MODEL_CALL_KINDS.has(n.span_kind) ? 1 : 0,
      unpriced_calls: MODEL_CALL_KINDS.has(n.span_kind) && n.cost_usd === null ? 1 : 0,
      errors: n.status === 'error' ? 1 : 0,
      spans: 1,
      latency_ms: 0,
    };
    for (const c of n.children) {
      const w = wall.get(c)!;
      own.start = Math.min(own.start, w.start);
      own.end = Math.max(own.end, w.end);
      own.pico += w.pico;
      t.input_tokens += c.subtree.input_tokens;
      t.output_tokens += c.subtree.output_tokens;
      t.model_calls += c.subtree.model_calls;
      t.unpriced_calls += c.subtree.unpriced_calls;
      t.errors += c.subtree.errors;
      t.spans += c.subtree.spans;
    }
    t.cost_usd = picoToDecimal(own.pico);
    t.latency_ms = own.end - own.start;
    wall.set(n, own);
    n.subtree = t;
  }

  const totals: SubtreeTotals = { cost_usd: '0', input_tokens: 0, output_tokens: 0, model_calls: 0, unpriced_calls: 0, errors: 0, spans: 0, latency_ms: 0 };
  let pico = 0n;
  let start = Infinity;
  let end = -Infinity;
  for (const r of roots) {
    const w = wall.get(r)!;
    pico += w.pico;
    start = Math.min(start, w.start);
    end = Math.max(end, w.end);
    for (const k of ['input_tokens', 'output_tokens', 'model_calls', 'unpriced_calls', 'errors', 'spans'] as const) totals[k] += r.subtree[k];
  }
  totals.cost_usd = picoToDecimal(pico);
  totals.latency_ms = roots.length > 0 ? end - start : 0;
  return { roots, totals };
}
