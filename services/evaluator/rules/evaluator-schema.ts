import { Ajv } from 'ajv';
import { z } from 'zod';

/**
 * The `evaluator` object of a rule: exactly one kind, with its options. Regexes and JSON
 * schemas are compiled here too, so a bad one fails the config load naming its path.
 */
const unit = z.number({ error: 'expected a number between 0 and 1' }).min(0, 'must be >= 0').max(1, 'must be <= 1');
const int = (min: number, max: number) =>
  z.number({ error: 'expected a whole number' }).int('expected a whole number').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);
const terms = z.array(z.string().min(1, 'must not be empty'), { error: 'expected a list of strings' }).min(1, 'needs at least one term');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as JUDGE_API_KEY');

export const jsonValidSchema = z.strictObject({
  type: z.literal('json_valid'),
  /** Accept output wrapped in a Markdown code fence (```json … ```). */
  allow_code_fence: z.boolean().default(false),
});

export const jsonSchemaSchema = z
  .strictObject({
    type: z.literal('json_schema'),
    schema: z.record(z.string(), z.unknown(), { error: 'expected a JSON schema object' }),
    allow_code_fence: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    try {
      new Ajv({ allErrors: true, strict: false }).compile(v.schema);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['schema'], message: `invalid JSON schema: ${(err as Error).message}` });
    }
  });

export const regexSchema = z
  .strictObject({
    type: z.literal('regex'),
    pattern: z.string().min(1, 'must not be empty'),
    flags: z.string().default(''),
    mode: z.enum(['must_match', 'must_not_match'], { error: 'expected "must_match" or "must_not_match"' }).default('must_match'),
  })
  .superRefine((v, ctx) => {
    if (/[gy]/.test(v.flags)) {
      ctx.addIssue({ code: 'custom', path: ['flags'], message: 'flags g and y are not allowed (they make a regex stateful)' });
      return;
    }
    try {
      new RegExp('', v.flags);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['flags'], message: `invalid regex flags: ${(err as Error).message}` });
      return;
    }
    try {
      new RegExp(v.pattern, v.flags);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `invalid regex: ${(err as Error).message}` });
    }
  });

export const containsSchema = z.strictObject({
  type: z.literal('contains'),
  terms,
  /** all: value = share of terms found, passed when all are; any: passed when one is. */
  mode: z.enum(['all', 'any'], { error: 'expected "all" or "any"' }).default('all'),
  case_insensitive: z.boolean().default(true),
  whole_word: z.boolean().default(false),
});

export const forbiddenTermsSchema = z.strictObject({
  type: z.literal('forbidden_terms'),
  terms,
  case_insensitive: z.boolean().default(true),
  whole_word: z.boolean().default(false),
});

export const maxLengthSchema = z
  .strictObject({
    type: z.literal('max_length'),
    max_chars: int(1, 10_000_000).optional(),
    max_words: int(1, 1_000_000).optional(),
  })
  .refine((v) => v.max_chars !== undefined || v.max_words !== undefined, { message: 'set max_chars, max_words or both', path: ['max_chars'] });

export const finishReasonSchema = z.strictObject({
  type: z.literal('finish_reason'),
  allowed: z.array(z.string().min(1), { error: 'expected a list of finish reasons' }).min(1).default(['stop']),
});

export const groundednessSchema = z.strictObject({
  type: z.literal('groundedness'),
  /** What the output must be grounded in: the rule's context (metadata key) or the trace's input. */
  against: z.enum(['context', 'input'], { error: 'expected "context" or "input"' }).default('context'),
  threshold: unit.default(0.7),
  min_token_length: int(1, 20).default(3),
});

export const llmJudgeSchema = z.strictObject({
  type: z.literal('llm_judge'),
  /** OpenAI-compatible base URL (…/v1); default: the service's JUDGE_BASE_URL; neither = rule disabled. */
  base_url: z.url({ error: 'expected a URL such as https://api.openai.com/v1' }).optional(),
  /** Default: the service's JUDGE_MODEL. */
  model: z.string().min(1).optional(),
  api_key_env: envName.default('JUDGE_API_KEY'),
  api_key: z.never({ error: 'do not put API keys in the rules file: name an environment variable with api_key_env' }).optional(),
  provider: z.string().min(1).optional(),
  /** Price the calls as this model (e.g. a self-hosted judge priced like a hosted one). */
  price_as: z.string().min(1).optional(),
  rubric: z.string().min(1, 'must not be empty'),
  threshold: unit.default(0.5),
  temperature: z.number().min(0).max(2).default(0),
  max_tokens: int(1, 32_000).default(256),
  /** Send response_format {type: json_object}; dropped automatically if the server rejects it. */
  json_mode: z.boolean().default(true),
  max_field_chars: int(100, 1_000_000).default(8_000),
  timeout_ms: int(100, 600_000).default(30_000),
  max_retries: int(0, 10).default(3),
  retry_base_ms: int(1, 60_000).default(500),
  max_retry_delay_ms: int(1, 600_000).default(30_000),
  concurrency: int(1, 64).default(4),
});

export const EVALUATOR_TYPES = [
  'json_valid',
  'json_schema',
  'regex',
  'contains',
  'forbidden_terms',
  'max_length',
  'finish_reason',
  'groundedness',
  'llm_judge',
] as const;

export const evaluatorSchema = z.discriminatedUnion(
  'type',
  [jsonValidSchema, jsonSchemaSchema, regexSchema, containsSchema, forbiddenTermsSchema, maxLengthSchema, finishReasonSchema, groundednessSchema, llmJudgeSchema],
  { error: `expected an object with "type" one of ${EVALUATOR_TYPES.join(', ')}` },
);

export type EvaluatorConfig = z.output<typeof evaluatorSchema>;
export type LlmJudgeConfig = z.output<typeof llmJudgeSchema>;
export type ConfigOf<K extends EvaluatorConfig['type']> = Extract<EvaluatorConfig, { type: K }>;
