import type { EvalInput } from '../../../services/evaluator/types.ts';

/** An EvalInput with sensible defaults, for evaluator tests. */
export function evalInput(over: Partial<EvalInput> = {}): EvalInput {
  return {
    trace_id: 'trace-1',
    timestamp: Date.UTC(2026, 0, 1, 12),
    feature: 'support-chat',
    model: 'gpt-4o-mini',
    prompt_version: 'v1',
    environment: 'production',
    input: 'How do I get a refund for order 42?',
    output: 'You can request a refund from the orders page.',
    context: null,
    expected: null,
    finish_reason: 'stop',
    metadata: {},
    ...over,
  };
}
