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
  /**
   * Set by evaluators that call a model (llm_judge): what the call used, so the service
   * can price it against the rule's budget and record it as an `eval_judge` trace.
   */
  call?: ModelCall;
}

/** One judge evaluation's model usage (all HTTP attempts of it together). */
export interface ModelCall {
  model: string;
  provider: string | null;
  started_at: number;
  latency_ms: number;
  attempts: number;
  status: 'ok' | 'error';
  error_type: string | null;
  finish_reason: string | null;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  /** True when the server sent no `usage` and tokens were estimated (chars / 4). */
  usage_estimated: boolean;
}

/** Input fields an evaluator can need. */
export type EvalField = 'input' | 'output' | 'context' | 'expected' | 'finish_reason';

export interface Evaluator {
  /** Kind, e.g. json_valid, json_schema, regex, contains, forbidden_terms, max_length, finish_reason, groundedness, llm_judge. */
  readonly kind: string;
  /** Score name written to `scores.name` (defaults to the rule name). */
  readonly scoreName: string;
  /**
   * Fields that must be non-null for the verdict to mean anything; an input lacking one
   * is not evaluated (live: not sampled; offline: counted as not applicable).
   */
  readonly requires?: readonly EvalField[];
  evaluate(input: EvalInput, options?: { signal?: AbortSignal }): Promise<EvalResult>;
}
