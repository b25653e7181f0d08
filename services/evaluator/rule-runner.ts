import type { Logger } from '../core/logger.ts';
import type { Pricer } from '../core/pricing/pricer.ts';
import { evalError } from './evaluators/result.ts';
import { createBudgetLedger, type BudgetLedger, type BudgetSnapshot } from './judge/budget.ts';
import { shuttingDown } from './judge/chat-client.ts';
import { judgeCallCostUsd } from './judge/cost.ts';
import { createSemaphore, type Semaphore } from './judge/semaphore.ts';
import { buildJudgeTrace, buildScore } from './records.ts';
import type { CompiledRule } from './rules/compile.ts';
import type { SampleReason, StratumSampler } from './sampling.ts';
import type { Score } from '../core/schema/score.ts';
import type { EvalInput, EvalResult } from './types.ts';

/**
 * One rule at run time: whether a trace is sampled (filter, required fields, budget,
 * sampling), and running the evaluator into a Score (+ the judge call's trace). A judge
 * rule with a budget runs its calls under its own concurrency limit and re-checks the
 * budget right before each call, so in-flight calls bound the overshoot.
 */
export interface RuleStats {
  evaluator: string;
  delay_seconds: number;
  matched: number;
  not_applicable: number;
  sampled_rate: number;
  sampled_stratum: number;
  budget_skipped: number;
  evaluated: number;
  errors: number;
  judge_cost_usd: number;
  unpriced_judge_calls: number;
  budget?: BudgetSnapshot;
}

export interface Produced {
  score: Score;
  judgeTrace: Record<string, unknown> | null;
}

export interface RuleRunner {
  readonly rule: CompiledRule;
  /** null: not evaluated (filter, missing field, budget paused, not sampled). */
  plan(input: EvalInput, status: 'ok' | 'error'): SampleReason | null;
  /** null: skipped at run time because the budget ran out meanwhile. Throws only on shutdown. */
  run(input: EvalInput, reason: SampleReason, signal: AbortSignal): Promise<Produced | null>;
  budgetExhausted(): boolean;
  stats(): RuleStats;
}

export interface RuleRunnerDeps {
  sampler: StratumSampler;
  pricer: Pricer;
  log: Logger;
  now: () => number;
}

export function createRuleRunner(rule: CompiledRule, deps: RuleRunnerDeps): RuleRunner {
  const { config } = rule;
  const log = deps.log.child({ rule: rule.name });
  const hasBudget = config.budget_usd_per_hour !== undefined || config.budget_usd_per_day !== undefined;
  const ledger: BudgetLedger | null = hasBudget ? createBudgetLedger({ perHourUsd: config.budget_usd_per_hour, perDayUsd: config.budget_usd_per_day }) : null;
  const gate: Semaphore | null = ledger && rule.judge ? createSemaphore(rule.judge.concurrency) : null;
  const priceAs = config.evaluator.type === 'llm_judge' ? config.evaluator.price_as : undefined;
  const samplingRule = { name: rule.name, sample_rate: config.sample_rate, stratum_min_per_hour: config.stratum_min_per_hour };
  const stats: RuleStats = {
    evaluator: config.evaluator.type,
    delay_seconds: config.delay_seconds,
    matched: 0,
    not_applicable: 0,
    sampled_rate: 0,
    sampled_stratum: 0,
    budget_skipped: 0,
    evaluated: 0,
    errors: 0,
    judge_cost_usd: 0,
    unpriced_judge_calls: 0,
  };
  let paused = false;

  /** Budget gate; logs once per window when it closes and once when it reopens. */
  function budgetPaused(): boolean {
    if (!ledger) return false;
    const ex = ledger.exhausted(deps.now());
    if (ex) {
      if (ex.firstInWindow) {
        log.warn(
          { window: ex.window, spent_usd: ex.spentUsd, cap_usd: ex.capUsd, resumes_at: new Date(ex.resetsAt).toISOString() },
          'judge budget exhausted: sampling for this rule is paused until the window ends',
        );
      }
      paused = true;
      stats.budget_skipped++;
      return true;
    }
    if (paused) {
      paused = false;
      log.info('judge budget window reset: sampling resumed');
    }
    return false;
  }

  async function evaluate(input: EvalInput, signal: AbortSignal): Promise<EvalResult> {
    try {
      return await rule.evaluator.evaluate(input, { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      // An evaluator bug must not wedge the partition: record it as an error result.
      return evalError(rule.evaluator.kind, rule.evaluator.scoreName, `evaluator failed: ${(err as Error).message}`);
    }
  }

  return {
    rule,
    plan(input, status) {
      if (!rule.matches(input, status)) return null;
      stats.matched++;
      if (!rule.applicable(input)) {
        stats.not_applicable++;
        return null;
      }
      if (budgetPaused()) return null;
      const reason = deps.sampler.decide(samplingRule, input);
      if (reason === 'rate') stats.sampled_rate++;
      else if (reason === 'stratum_min') stats.sampled_stratum++;
      return reason;
    },
    async run(input, reason, signal) {
      const release = gate ? await gate.acquire() : null;
      try {
        if (signal.aborted) throw shuttingDown();
        if (budgetPaused()) return null;
        const result = await evaluate(input, signal);
        stats.evaluated++;
        if (result.status === 'error') stats.errors++;
        let cost: number | null = null;
        if (result.call) {
          cost = judgeCallCostUsd(deps.pricer, result.call, priceAs);
          if (cost === null) stats.unpriced_judge_calls++;
          else {
            stats.judge_cost_usd += cost;
            ledger?.record(cost, deps.now());
          }
        }
        const score = buildScore(rule.name, input, result, deps.now(), { sampledBy: reason, judgeCostUsd: cost });
        const judgeTrace = result.call ? buildJudgeTrace(rule.name, input, score.score_id, result.call, cost) : null;
        return { score, judgeTrace };
      } finally {
        release?.();
      }
    },
    budgetExhausted: () => (ledger ? ledger.snapshot(deps.now()).exhausted : false),
    stats: () => ({ ...stats, judge_cost_usd: Math.round(stats.judge_cost_usd * 1e9) / 1e9, ...(ledger ? { budget: ledger.snapshot(deps.now()) } : {}) }),
  };
}
