import { regexDetector, type Detector } from './detector.ts';

/**
 * Phone numbers, in three shapes only — a bare run of digits is never a phone number
 * here, because token counts, epoch timestamps (10 digits) and order ids look the same:
 *
 * 1. International: `+` country code (1–4 digits), then groups split by single
 *    separators (space, `-`, `.`, NBSP) or one parenthesised group — `+1 (415) 555-2671`,
 *    `+44 (0)20 7946 0958`, `+33 6 12 34 56 78` — or E.164 without separators,
 *    `+4915123456789`.
 * 2. North American: `(415) 555-2671`, `415-555-2671`, `415.555.2671`, `415 555 2671`,
 *    optionally `1-` / `+1 ` in front (3-3-4 digits with separators).
 * 3. National with a trunk `0`: `020 7946 0958`, `06 12 34 56 78`, `030/12345678`,
 *    `(030) 1234567`: a 2–5 digit area group starting with 0, then groups of 2–8 digits;
 *    the separators after the area group must all be the same character (so a date and
 *    time such as `01.02.2024 12` is not taken for a number).
 *
 * All shapes need 9–15 digits in total (E.164 allows 15), must not touch letters,
 * digits or `_`, and must not continue with `:`/`.`/`-`/`/` plus a digit (clock times,
 * version numbers, IP addresses, longer dashed ids). Non-ASCII digits are not detected.
 */
const SEP = String.raw`[ .\-\u00A0]`;
const INTERNATIONAL = String.raw`\+\d{8,15}|\+\d{1,4}(?:${SEP}?\(\d{1,4}\)${SEP}?\d{1,6}|${SEP}\d{1,6})(?:${SEP}\d{2,6}){0,6}`;
const NORTH_AMERICAN = String.raw`(?:1${SEP})?(?:\(\d{3}\)${SEP}?|\d{3}${SEP})\d{3}${SEP}\d{4}`;
const TRUNK = String.raw`(?:\(0\d{1,4}\)${SEP}?|0\d{1,4}(?:${SEP}|\/))\d{2,8}(?<rest>(?:${SEP}\d{2,8}){0,4})`;
const PHONE = new RegExp(
  String.raw`(?<![\p{L}\p{N}_+\-.\/])(?:(?<intl>${INTERNATIONAL})|(?<nanp>${NORTH_AMERICAN})|(?<trunk>${TRUNK}))(?![\p{L}\p{N}_]|[:.\-\/]\d)`,
  'gu',
);

export const phoneDetector: Detector = regexDetector('phone', PHONE, (match, groups) => {
  const digits = countDigits(match);
  if (digits < 9 || digits > 15) return null;
  if (groups.trunk !== undefined && !oneSeparator(groups.rest ?? '')) return null;
  return { start: 0, end: match.length };
});

function countDigits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** The separators between the trailing groups of a trunk-format number are all equal. */
function oneSeparator(rest: string): boolean {
  const seps = new Set(rest.replace(/\d/g, ''));
  return seps.size <= 1;
}
