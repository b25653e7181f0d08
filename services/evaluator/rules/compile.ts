import type { Pricer } from '../../core/pricing/pricer.ts';
import { createEvaluator } from '../evaluators/index.ts';
import type { LlmJudge } from '../evaluators/llm-judge.ts';
import { unpricedReason } from '../judge/cost.ts';
import type { EvalInput, Evaluator } from '../types.ts';
import { compileGlob } from '../../core/glob.ts';
import { RulesConfigError } from './load.ts';
import type { RuleConfig, RulesFile } from './rule-schema.ts';

/**
 * Validated rules → ready-to-run rules: filters compiled to predicates, evaluators built,
 * judge endpoints resolved (rule `base_url`/`model`, else the service's JUDGE_BASE_URL /
 * JUDGE_MODEL; the API key from the env var the rule names). A judge rule with no base URL
 * anywhere is disabled, not an error, so the shipped example runs without a judge.
 * A judge rule with a budget must have a priced model: refused at start otherwise.
 */
export interface JudgeDefaults {
  /** JUDGE_BASE_URL; unset = judge rules without their own base_url are disabled. */
  baseUrl?: string;
  /** JUDGE_MODEL. */
  model: string;
}

export interface CompileDeps {
  /** Where api_key_env names are looked up (the process environment, passed in by main). */
  env: Readonly<Record<string, string | undefined>>;
  judge: JudgeDefaults;
  /** Needed to check that budgeted judge models have a price. */
  pricer?: Pricer;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  source?: string;
}

export interface CompiledRule {
  readonly name: string;
  readonly index: number;
  readonly config: RuleConfig;
  readonly evaluator: Evaluator;
  /** Set for llm_judge rules. */
  readonly judge: LlmJudge | null;
  readonly delayMs: number;
  /** Filter on the trace's dimensions and status. */
  matches(input: EvalInput, status: 'ok' | 'error'): boolean;
  /** Filter on dimensions only; an absent dimension matches (offline rows that do not say). */
  matchesDims(dims: Partial<Record<FilterDim, string>>): boolean;
  /** Whether the input has the fields the evaluator needs. */
  applicable(input: EvalInput): boolean;
}

export type FilterDim = 'feature' | 'model' | 'environment' | 'prompt_version';

export interface CompiledRules {
  rules: CompiledRule[];
  disabled: { name: string; reason: string }[];
}

export function compileRules(file: RulesFile, deps: CompileDeps): CompiledRules {
  const rules: CompiledRule[] = [];
  const disabled: { name: string; reason: string }[] = [];
  const issues: string[] = [];
  file.rules.forEach((config, index) => {
    if (!config.enabled) {
      disabled.push({ name: config.name, reason: 'enabled: false' });
      return;
    }
    const scoreName = config.score_name ?? config.name;
    let judgeDeps;
    if (config.evaluator.type === 'llm_judge') {
      const ev = config.evaluator;
      const baseUrl = ev.base_url ?? deps.judge.baseUrl;
      if (!baseUrl) {
        disabled.push({ name: config.name, reason: 'llm_judge without a base URL: set evaluator.base_url or JUDGE_BASE_URL' });
        return;
      }
      const model = ev.model ?? deps.judge.model;
      const hasBudget = config.budget_usd_per_hour !== undefined || config.budget_usd_per_day !== undefined;
      if (hasBudget && deps.pricer) {
        const why = unpricedReason(deps.pricer, ev.price_as ?? model, ev.price_as ? undefined : ev.provider, (deps.now ?? Date.now)());
        const field = ev.price_as ? 'price_as' : ev.model ? 'model' : 'model (JUDGE_MODEL)';
        if (why) issues.push(`rules[${index}].evaluator.${field}: ${why}; a budget needs a priced judge model (set evaluator.price_as, or add a price with PRICES_FILE)`);
      }
      judgeDeps = { baseUrl, model, apiKey: deps.env[ev.api_key_env] || undefined, fetch: deps.fetch, now: deps.now, random: deps.random };
    }
    const evaluator = createEvaluator(config.evaluator, scoreName, judgeDeps);
    const f = config.filter;
    const globs = {
      feature: compileGlob(f.feature),
      model: compileGlob(f.model),
      environment: compileGlob(f.environment),
      prompt_version: compileGlob(f.prompt_version),
    };
    const matchesDims = (dims: Partial<Record<FilterDim, string>>) =>
      (Object.keys(globs) as FilterDim[]).every((dim) => dims[dim] === undefined || globs[dim](dims[dim]));
    const requires = evaluator.requires ?? [];
    rules.push({
      name: config.name,
      index,
      config,
      evaluator,
      judge: config.evaluator.type === 'llm_judge' ? (evaluator as LlmJudge) : null,
      delayMs: config.delay_seconds * 1000,
      matches: (input, status) => (status === 'ok' || config.include_errors) && matchesDims(input),
      matchesDims,
      applicable: (input) => requires.every((field) => input[field] !== null),
    });
  });
  if (issues.length > 0) throw new RulesConfigError(deps.source ?? 'eval rules', issues);
  return { rules, disabled };
}
