import { z } from 'zod';
import { evaluatorSchema } from './evaluator-schema.ts';

/** The versioned rules file (`EVALS_FILE`); documented field by field in schemas/evals/README.md. */
export const RULES_FILE_VERSION = 1;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const ruleName = z.string({ error: 'expected a string' }).regex(NAME, 'expected 1-128 characters: letters, digits, _ . : - (starting with a letter or digit)');
const glob = z.union([z.string(), z.array(z.string(), { error: 'expected a glob or a list of globs' }).min(1, 'an empty list would match nothing')], {
  error: 'expected a glob string or a list of globs',
});
const usd = z.number({ error: 'expected USD as a number' }).positive('must be > 0');

export const filterSchema = z.strictObject({
  feature: glob.optional(),
  model: glob.optional(),
  environment: glob.optional(),
  prompt_version: glob.optional(),
});

export const ruleSchema = z
  .strictObject({
    name: ruleName,
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    /** scores.name; default: the rule name. */
    score_name: ruleName.optional(),
    filter: filterSchema.default({}),
    /** Evaluate traces with status "error" too (they usually have no output). */
    include_errors: z.boolean().default(false),
    sample_rate: z.number({ error: 'expected a number between 0 and 1' }).min(0, 'must be >= 0').max(1, 'must be <= 1'),
    stratum_min_per_hour: z.number().int('expected a whole number').min(0).max(1_000_000).default(20),
    delay_seconds: z.number().int('expected a whole number of seconds').min(0).max(86_400, 'must be <= 86400 (one day)').default(0),
    /** Trace metadata key holding the grounding context. */
    context_key: z.string().min(1).default('context'),
    evaluator: evaluatorSchema,
    budget_usd_per_hour: usd.optional(),
    budget_usd_per_day: usd.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.evaluator.type === 'llm_judge') return;
    for (const key of ['budget_usd_per_hour', 'budget_usd_per_day'] as const) {
      if (rule[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `only llm_judge rules have a cost (this rule's evaluator is ${rule.evaluator.type})` });
    }
  });

export const rulesFileSchema = z
  .strictObject({
    version: z.literal(RULES_FILE_VERSION, { error: `unsupported version: this build reads version ${RULES_FILE_VERSION}` }),
    rules: z.array(ruleSchema, { error: 'expected a list of rules' }),
  })
  .superRefine((file, ctx) => {
    const seenRule = new Map<string, number>();
    const seenScore = new Map<string, number>();
    file.rules.forEach((rule, i) => {
      const dup = seenRule.get(rule.name);
      if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name "${rule.name}" (also rules[${dup}])` });
      else seenRule.set(rule.name, i);
      // Two rules writing one score name would mix their verdicts in the quality metrics.
      const score = rule.score_name ?? rule.name;
      const dupScore = seenScore.get(score);
      if (dupScore !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, 'score_name'], message: `score name "${score}" is already written by rules[${dupScore}]` });
      else seenScore.set(score, i);
    });
  });

export type RulesFile = z.output<typeof rulesFileSchema>;
export type RuleConfig = RulesFile['rules'][number];
export type RuleFilter = z.output<typeof filterSchema>;
