import { luhnValid } from '../checksums.ts';
import { regexDetector, type Detector } from './detector.ts';
import { longestValidGroupPrefix } from './group-prefix.ts';

/**
 * Payment card numbers (PANs):
 * - 13–19 digits, either unbroken or as a 4-digit group followed by 2–4 groups of 3–6
 *   digits split by single spaces or dashes (`4111 1111 1111 1111`, `3782-822463-10005`);
 * - the first digit is 2–6 (the industry identifiers of the card networks: Mastercard
 *   2/5, Amex/Diners/JCB 3, Visa 4, Discover/UnionPay/Maestro 6) — this leaves alone the
 *   19-digit snowflake ids and nanosecond timestamps that start with 1;
 * - the Luhn check digit is valid.
 * A number glued to letters, digits, `_`, or continuing with `.`/`-` plus a digit is
 * not a card. When a grouped match carries a trailing group that breaks the check, the
 * longest valid leading groups are redacted.
 */
const UNBROKEN = String.raw`\d{13,19}`;
const GROUPED = String.raw`\d{4}(?:[ \-]\d{3,6}){2,4}`;
const CARD = new RegExp(String.raw`(?<![\p{L}\p{N}_.\-])(?:${UNBROKEN}|${GROUPED})(?![\p{L}\p{N}_]|[.\-]\d)`, 'gu');

/** Compact digits that could be a card number: length, network digit, Luhn. */
export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && digits[0] >= '2' && digits[0] <= '6' && luhnValid(digits);
}

export const cardDetector: Detector = regexDetector('card', CARD, (match) => {
  const end = longestValidGroupPrefix(match, /[ \-]/, isCardNumber);
  return end === null ? null : { start: 0, end };
});
