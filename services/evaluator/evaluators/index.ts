import type { EvaluatorConfig } from '../rules/evaluator-schema.ts';
import type { Evaluator } from '../types.ts';
import { createGroundedness } from './groundedness.ts';
import { createJsonSchema, createJsonValid } from './json.ts';
import { createLlmJudge, type LlmJudgeDeps } from './llm-judge.ts';
import { createContains, createFinishReason, createForbiddenTerms, createMaxLength, createRegex } from './text-checks.ts';

/** One evaluator from its (validated) config. llm_judge needs its resolved endpoint. */
export function createEvaluator(config: EvaluatorConfig, scoreName: string, judge?: LlmJudgeDeps): Evaluator {
  switch (config.type) {
    case 'json_valid':
      return createJsonValid(config, scoreName);
    case 'json_schema':
      return createJsonSchema(config, scoreName);
    case 'regex':
      return createRegex(config, scoreName);
    case 'contains':
      return createContains(config, scoreName);
    case 'forbidden_terms':
      return createForbiddenTerms(config, scoreName);
    case 'max_length':
      return createMaxLength(config, scoreName);
    case 'finish_reason':
      return createFinishReason(config, scoreName);
    case 'groundedness':
      return createGroundedness(config, scoreName);
    case 'llm_judge':
      if (!judge) throw new Error('llm_judge needs an endpoint (base URL and model)');
      return createLlmJudge(config, scoreName, judge);
  }
}
