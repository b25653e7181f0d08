import { placeholder, type PiiKind } from '../kinds.ts';

/** One detector: replaces every span of its kind in `text` and says how many it replaced. */
export interface Detector {
  kind: PiiKind;
  redact(text: string): { text: string; count: number };
}

/**
 * Decides what to do with one regex match: `null` keeps the text as it is; otherwise
 * `start`/`end` are offsets *within the match* of the span to redact (a validator may
 * narrow a match, e.g. drop a trailing group that is not part of a card number).
 */
export type Judge = (match: string, groups: Record<string, string | undefined>) => { start: number; end: number } | null;

/**
 * Runs a global regex over `text` and replaces the spans the judge accepts with the
 * kind's placeholder. Every pattern given here must be linear per start position
 * (bounded quantifiers, or a left-boundary lookbehind so a run is scanned once), which
 * keeps the whole scan linear in the input size.
 */
export function regexDetector(kind: PiiKind, pattern: RegExp, judge: Judge): Detector {
  if (!pattern.global || !pattern.unicode) throw new Error(`detector ${kind}: pattern must have the g and u flags`);
  const mark = placeholder(kind);
  return {
    kind,
    redact(text) {
      let count = 0;
      const out = text.replace(pattern, (...args: unknown[]) => {
        const match = args[0] as string;
        const last = args[args.length - 1];
        const groups = (typeof last === 'object' && last !== null ? last : {}) as Record<string, string | undefined>;
        const span = judge(match, groups);
        if (span === null || span.end <= span.start) return match;
        count++;
        return match.slice(0, span.start) + mark + match.slice(span.end);
      });
      return { text: count === 0 ? text : out, count };
    },
  };
}

/** Accept the whole match. */
export const whole = (match: string) => ({ start: 0, end: match.length });
