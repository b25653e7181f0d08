/**
 * The evaluator's vocabulary, shared by the rule engine, the evaluators, the service and
 * the offline CLI. Evaluators are pure or do their I/O through injected clients.
 */

/** What an evaluator sees of a trace (live) or of a dataset row (offline). */
export interface EvalInput {
  trace_id: string;
  timestamp: number;
  feature: string;
  model: string;
  prompt_version: string;
  environment: string;
  input: string | null;
  output: string | null;
  /** Grounding context (live traffic: metadata key named by the rule, default `context`). */
  context: string | null;
  /** Expected answer (offline datasets). */
  expected: string | null;
  finish_reason: string | null;
  metadata: Record<string, string>;
}

/** One evaluator's verdict on one input. value is 0..1, higher is better. */
export interface EvalResult {
  name: string;
  evaluator: string;
  status: 'ok' | 'error';
  value: number | null;
  passed: boolean | null;
  reason: string | null;
}

export interface Evaluator {
  /** Kind, e.g. json_valid, json_schema, regex, contains, forbidden_terms, max_length, finish_reason, groundedness, llm_judge. */
  readonly kind: string;
  /** Score name written to `scores.name` (defaults to the rule name). */
  readonly scoreName: string;
  evaluate(input: EvalInput, options?: { signal?: AbortSignal }): Promise<EvalResult>;
}
