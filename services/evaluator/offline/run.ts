import type { Pricer } from '../../core/pricing/pricer.ts';
import { judgeCallCostUsd } from '../judge/cost.ts';
import type { CompiledRule } from '../rules/compile.ts';
import type { EvalResult } from '../types.ts';
import type { ParsedRow } from './dataset.ts';
import { ScoreAccumulator, type ScoreSummary } from './report.ts';

/**
 * Runs every active rule over every dataset row (sampling and budgets do not apply
 * offline), `concurrency` rows at a time, and summarises per score name.
 */
export interface OfflineRunOptions {
  rows: ParsedRow[];
  rules: CompiledRule[];
  concurrency: number;
  /** Prices judge calls for the report; without it their cost is not reported. */
  pricer?: Pricer;
  onProgress?: (done: number, total: number) => void;
}

export interface RowResult {
  line: number;
  id: string;
  results: EvalResult[];
}

export interface OfflineRunResult {
  scores: Record<string, ScoreSummary>;
  rows: RowResult[];
  judge: { calls: number; cost_usd: number; unpriced_calls: number };
}

export async function runOffline(opts: OfflineRunOptions): Promise<OfflineRunResult> {
  const acc = new Map<string, ScoreAccumulator>();
  for (const r of opts.rules) acc.set(r.evaluator.scoreName, new ScoreAccumulator(r.name, r.evaluator.kind));
  const out: RowResult[] = new Array(opts.rows.length);
  const judge = { calls: 0, cost_usd: 0, unpriced_calls: 0 };
  let next = 0;
  let done = 0;

  async function evaluateRow(index: number): Promise<void> {
    const row = opts.rows[index];
    const results: EvalResult[] = [];
    for (const rule of opts.rules) {
      if (!rule.matchesDims(row.dims)) continue;
      const a = acc.get(rule.evaluator.scoreName)!;
      if (!rule.applicable(row.input)) {
        a.notApplicableRow();
        continue;
      }
      let result: EvalResult;
      try {
        result = await rule.evaluator.evaluate(row.input);
      } catch (err) {
        result = { name: rule.evaluator.scoreName, evaluator: rule.evaluator.kind, status: 'error', value: null, passed: null, reason: `evaluator failed: ${(err as Error).message}` };
      }
      if (result.call) {
        judge.calls++;
        const priceAs = rule.config.evaluator.type === 'llm_judge' ? rule.config.evaluator.price_as : undefined;
        const cost = opts.pricer ? judgeCallCostUsd(opts.pricer, result.call, priceAs) : null;
        if (cost === null) judge.unpriced_calls++;
        else judge.cost_usd += cost;
      }
      a.add(result);
      results.push(result);
    }
    out[index] = { line: row.line, id: row.input.trace_id, results };
    opts.onProgress?.(++done, opts.rows.length);
  }

  async function worker(): Promise<void> {
    while (next < opts.rows.length) await evaluateRow(next++);
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, opts.rows.length)) }, worker));

  const scores: Record<string, ScoreSummary> = {};
  for (const [name, a] of acc) scores[name] = a.summary();
  return { scores, rows: out, judge: { ...judge, cost_usd: Math.round(judge.cost_usd * 1e9) / 1e9 } };
}
