import type { ConfigOf } from '../rules/evaluator-schema.ts';
import type { EvalResult, Evaluator } from '../types.ts';
import { evalError, outputCheck, pass, quoteList, verdict } from './result.ts';

/** Deterministic checks on the output text: regex, contains, forbidden_terms, max_length, finish_reason. */

export function createRegex(opts: ConfigOf<'regex'>, scoreName: string): Evaluator {
  const kind = 'regex';
  const re = new RegExp(opts.pattern, opts.flags);
  const mustMatch = opts.mode === 'must_match';
  return outputCheck(kind, scoreName, (output) => {
    const m = re.exec(output);
    if (mustMatch) return pass(kind, scoreName, m !== null, m ? null : `does not match /${opts.pattern}/${opts.flags}`);
    return pass(kind, scoreName, m === null, m ? `matches /${opts.pattern}/${opts.flags} at ${JSON.stringify(m[0].slice(0, 80))}` : null);
  });
}

const escapeRe = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/** Which of `terms` occur in a text (substring or whole word, optionally ignoring case). */
export function termFinder(terms: readonly string[], caseInsensitive: boolean, wholeWord: boolean): (text: string) => string[] {
  const flags = caseInsensitive ? 'iu' : 'u';
  const res = terms.map((t) => ({ term: t, re: new RegExp(wholeWord ? `(?<![\\p{L}\\p{N}_])${escapeRe(t)}(?![\\p{L}\\p{N}_])` : escapeRe(t), flags) }));
  return (text) => res.filter((r) => r.re.test(text)).map((r) => r.term);
}

export function createContains(opts: ConfigOf<'contains'>, scoreName: string): Evaluator {
  const kind = 'contains';
  const find = termFinder(opts.terms, opts.case_insensitive, opts.whole_word);
  return outputCheck(kind, scoreName, (output) => {
    const found = new Set(find(output));
    const missing = opts.terms.filter((t) => !found.has(t));
    if (opts.mode === 'any') return pass(kind, scoreName, found.size > 0, found.size > 0 ? null : `none of ${quoteList(opts.terms)} found`);
    const value = found.size / opts.terms.length;
    return verdict(kind, scoreName, value, missing.length === 0, missing.length === 0 ? null : `missing ${quoteList(missing)}`);
  });
}

export function createForbiddenTerms(opts: ConfigOf<'forbidden_terms'>, scoreName: string): Evaluator {
  const kind = 'forbidden_terms';
  const find = termFinder(opts.terms, opts.case_insensitive, opts.whole_word);
  return outputCheck(kind, scoreName, (output) => {
    const found = find(output);
    return pass(kind, scoreName, found.length === 0, found.length === 0 ? null : `contains ${quoteList(found)}`);
  });
}

export function createMaxLength(opts: ConfigOf<'max_length'>, scoreName: string): Evaluator {
  const kind = 'max_length';
  return outputCheck(kind, scoreName, (output) => {
    const problems: string[] = [];
    if (opts.max_chars !== undefined) {
      const chars = [...output].length; // code points, not UTF-16 units
      if (chars > opts.max_chars) problems.push(`${chars} characters > ${opts.max_chars}`);
    }
    if (opts.max_words !== undefined) {
      const words = output.split(/\s+/u).filter(Boolean).length;
      if (words > opts.max_words) problems.push(`${words} words > ${opts.max_words}`);
    }
    return pass(kind, scoreName, problems.length === 0, problems.length === 0 ? null : problems.join('; '));
  });
}

export function createFinishReason(opts: ConfigOf<'finish_reason'>, scoreName: string): Evaluator {
  const kind = 'finish_reason';
  const allowed = new Set(opts.allowed);
  return {
    kind,
    scoreName,
    requires: ['finish_reason'],
    async evaluate(input): Promise<EvalResult> {
      if (input.finish_reason === null) return evalError(kind, scoreName, 'no finish_reason');
      const ok = allowed.has(input.finish_reason);
      return pass(kind, scoreName, ok, ok ? null : `finish_reason ${JSON.stringify(input.finish_reason)} is not ${quoteList(opts.allowed)}`);
    },
  };
}
