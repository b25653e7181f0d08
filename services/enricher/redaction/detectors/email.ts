import { regexDetector, whole, type Detector } from './detector.ts';

/**
 * Email addresses: `local@domain.tld`.
 * - local part: 1–64 letters/digits (any script) or `. _ % + -`, not glued to a longer
 *   run of such characters (RFC 5321 caps it at 64);
 * - domain: 1–8 dot-separated labels of letters/digits/hyphens (≤ 63 each, no leading
 *   or trailing hyphen) and a 2–24 letter TLD — internationalised domains included.
 * Shapes such as `user@localhost`, `@mentions` and `foo@1.2.3.4` are left alone.
 *
 * Linear: the lookbehind lets only the first character of a run start a match and every
 * quantifier is bounded, so each position costs a constant amount of work.
 */
const LOCAL = String.raw`[\p{L}\p{M}\p{N}._%+\-]`;
const LABEL = String.raw`[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}\-]{0,61}[\p{L}\p{M}\p{N}])?`;
const EMAIL = new RegExp(String.raw`(?<!${LOCAL})${LOCAL}{1,64}@(?:${LABEL}\.){1,8}\p{L}{2,24}(?![\p{L}\p{M}\p{N}\-]|\.[\p{L}\p{N}])`, 'gu');

export const emailDetector: Detector = regexDetector('email', EMAIL, whole);
