import assert from 'node:assert/strict';
import { picoToUsdText } from '../../helpers/expected-cost.ts';
import { eventually } from '../../helpers/service-process.ts';

/**
 * What the store holds, read the way the issue counts it: rows in `traces` (no FINAL, so
 * a duplicate row shows until a merge), distinct trace_ids, and sum(requests) in both
 * rollups (a replayed insert that the views did not drop stays there for good).
 */
export interface Totals {
  rows: number;
  uniq: number;
  cost: string;
  rollup1m: number;
  cost1m: string;
  rollup1h: number;
  cost1h: string;
}

export type Sql = (query: string) => Promise<any[]>;

export async function readTotals(sql: Sql): Promise<Totals> {
  const [t] = await sql('SELECT count() AS n, uniqExact(trace_id) AS u, toString(sum(cost_usd)) AS cost FROM traces');
  const [m] = await sql('SELECT sum(requests) AS n, toString(sum(cost_usd_sum)) AS cost FROM traces_1m');
  const [h] = await sql('SELECT sum(requests) AS n, toString(sum(cost_usd_sum)) AS cost FROM traces_1h');
  return {
    rows: Number(t.n),
    uniq: Number(t.u),
    cost: t.cost,
    rollup1m: Number(m.n),
    cost1m: m.cost,
    rollup1h: Number(h.n),
    cost1h: h.cost,
  };
}

/**
 * Waits until traces holds at least `expected` rows, then (up to `rollupWaitMs` more) until
 * both rollups do too, then `settleMs` more (so a late duplicate has the time to show),
 * and reads again. Returns the final totals and the ms until traces first held `expected`.
 * Rollups that stay short are returned as they are, for the caller's assertions to name.
 */
export async function settledTotals(
  sql: Sql,
  expected: number,
  opts: { timeoutMs?: number; settleMs?: number; rollupWaitMs?: number; what?: string } = {},
): Promise<{ totals: Totals; reachedMs: number }> {
  const t0 = Date.now();
  await eventually(() => readTotals(sql), (t) => t.rows >= expected, opts.timeoutMs ?? 180_000, `${opts.what ?? 'totals'}: ${expected} rows in traces`);
  const reachedMs = Date.now() - t0;
  await eventually(() => readTotals(sql), (t) => t.rollup1m >= expected && t.rollup1h >= expected, opts.rollupWaitMs ?? 15_000, 'rollups').catch(() => undefined);
  await new Promise((r) => setTimeout(r, opts.settleMs ?? 3_000));
  return { totals: await readTotals(sql), reachedMs };
}

/** Largest excess of a count over the distinct trace_ids (0 when nothing was counted twice). */
export function duplicatesOf(t: Totals): number {
  return Math.max(t.rows - t.uniq, t.rollup1m - t.uniq, t.rollup1h - t.uniq, 0);
}

export function assertExact(t: Totals, expected: { n: number; pico: number }): void {
  const usd = picoToUsdText(expected.pico);
  assert.equal(t.rows, expected.n, 'rows in traces');
  assert.equal(t.uniq, expected.n, 'distinct trace_ids in traces');
  assert.equal(t.rollup1m, expected.n, 'sum(requests) in traces_1m');
  assert.equal(t.rollup1h, expected.n, 'sum(requests) in traces_1h');
  assert.equal(t.cost, usd, 'sum(cost_usd) in traces');
  assert.equal(t.cost1m, usd, 'sum(cost_usd_sum) in traces_1m');
  assert.equal(t.cost1h, usd, 'sum(cost_usd_sum) in traces_1h');
}

export interface FaultFigures {
  fault: string;
  events_in: number;
  acknowledged: number;
  counted_traces: number;
  counted_rollup_1m: number;
  counted_rollup_1h: number;
  duplicates: number;
  recover_ms: number | null;
  /** Scenario-specific figures (503s answered, repeats seen on a topic, …). */
  [extra: string]: unknown;
}

/** The one line per scenario collected for RELIABILITY.md. */
export function printFigures(fault: string, eventsIn: number, acknowledged: number, t: Totals, recoverMs: number): void {
  const f: FaultFigures = {
    fault,
    events_in: eventsIn,
    acknowledged,
    counted_traces: t.rows,
    counted_rollup_1m: t.rollup1m,
    counted_rollup_1h: t.rollup1h,
    duplicates: duplicatesOf(t),
    recover_ms: Math.round(recoverMs),
  };
  console.log('FAULT-FIGURES ' + JSON.stringify(f));
}
