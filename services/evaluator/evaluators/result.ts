import type { EvalResult, Evaluator } from '../types.ts';

/** Result builders shared by the evaluators. value is 0..1, higher is better. */
export function verdict(kind: string, name: string, value: number, passed: boolean, reason: string | null): EvalResult {
  return { name, evaluator: kind, status: 'ok', value, passed, reason };
}

export function pass(kind: string, name: string, passed: boolean, reason: string | null): EvalResult {
  return verdict(kind, name, passed ? 1 : 0, passed, reason);
}

/** The evaluator could not judge (bad judge answer, judge unreachable, missing field). */
export function evalError(kind: string, name: string, reason: string): EvalResult {
  return { name, evaluator: kind, status: 'error', value: null, passed: null, reason };
}

const FENCE = /^\s*```[A-Za-z0-9_-]*\s*\n([\s\S]*?)\n?\s*```\s*$/;

/** The body of a Markdown code fence wrapping the whole text, else the text. */
export function stripCodeFence(text: string): string {
  const m = FENCE.exec(text);
  return m ? m[1] : text;
}

export function quoteList(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).map((s) => JSON.stringify(s));
  return items.length > max ? `${shown.join(', ')} and ${items.length - max} more` : shown.join(', ');
}

/**
 * An evaluator that needs the output text: the envelope every such check shares (kind,
 * score name, `requires`, an error result when the trace has no output) around `check`.
 */
export function outputCheck(kind: string, scoreName: string, check: (output: string) => EvalResult): Evaluator {
  return {
    kind,
    scoreName,
    requires: ['output'],
    async evaluate(input): Promise<EvalResult> {
      if (input.output === null) return evalError(kind, scoreName, 'no output');
      return check(input.output);
    },
  };
}
