import type { ConfigOf } from '../rules/evaluator-schema.ts';
import type { EvalResult, Evaluator } from '../types.ts';
import { evalError, quoteList, verdict } from './result.ts';

/**
 * groundedness: how much of the output is supported by the reference text (the rule's
 * context, or the trace's input). A lexical heuristic, cheap enough to run on every trace:
 *
 *   terms(t) = the words of t (Unicode letters/digits), lower-cased, at least
 *              `min_token_length` characters, not a stop word, a trailing plural "s" dropped
 *   value    = |{ occurrences w in terms(output) : w ∈ set(terms(reference)) }| / |terms(output)|
 *   passed   = value >= threshold
 *
 * i.e. the share of the output's content words that appear in the reference (a
 * unigram precision). An output with no content words scores 1. It catches answers that
 * drift away from the supplied context; it cannot see paraphrase or negation (use
 * llm_judge for that).
 */
const STOP_WORDS = new Set(
  (
    'about above after again against all also and any are aren because been before being below between both but can cannot could did does doing down during each ' +
    'few for from further had has have having her here hers herself him himself his how into its itself just let more most must not now off once only other ' +
    'our ours ourselves out over own same she should some such than that the their theirs them themselves then there these they this those through too under ' +
    'until very was were what when where which while who whom why will with would you your yours yourself yourselves'
  ).split(' '),
);

export function contentTerms(text: string, minLength: number): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    let w = m[0];
    if ([...w].length < minLength || STOP_WORDS.has(w)) continue;
    if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
    out.push(w);
  }
  return out;
}

export interface Groundedness {
  value: number;
  /** Content-word occurrences in the output, and how many of them the reference has. */
  total: number;
  supported: number;
  /** Distinct unsupported words. */
  unsupported: string[];
}

export function groundednessScore(output: string, reference: string, minLength: number): Groundedness {
  const terms = contentTerms(output, minLength);
  if (terms.length === 0) return { value: 1, total: 0, supported: 0, unsupported: [] };
  const known = new Set(contentTerms(reference, minLength));
  const unsupported = terms.filter((t) => !known.has(t));
  const supported = terms.length - unsupported.length;
  return { value: supported / terms.length, total: terms.length, supported, unsupported: [...new Set(unsupported)] };
}

export function createGroundedness(opts: ConfigOf<'groundedness'>, scoreName: string): Evaluator {
  const kind = 'groundedness';
  return {
    kind,
    scoreName,
    requires: ['output', opts.against],
    async evaluate(input): Promise<EvalResult> {
      const reference = opts.against === 'context' ? input.context : input.input;
      if (input.output === null) return evalError(kind, scoreName, 'no output');
      if (reference === null) return evalError(kind, scoreName, `no ${opts.against} to check the output against`);
      const s = groundednessScore(input.output, reference, opts.min_token_length);
      const passed = s.value >= opts.threshold;
      const share = `${s.supported}/${s.total} output terms found in the ${opts.against}`;
      const reason = s.total === 0 ? 'no content words in the output' : s.unsupported.length === 0 ? share : `${share}; unsupported: ${quoteList(s.unsupported)}`;
      return verdict(kind, scoreName, s.value, passed, reason);
    },
  };
}
