import { ibanMod97Valid } from '../checksums.ts';
import { IBAN_LENGTHS } from '../iban-lengths.ts';
import { regexDetector, type Detector } from './detector.ts';
import { longestValidGroupPrefix } from './group-prefix.ts';

/**
 * IBANs, compact (`DE89370400440532013000`) or printed in groups of four
 * (`DE89 3704 0044 0532 0130 00`), upper or lower case. Redacted only when the country
 * code is in the ISO 13616 registry, the length is that country's IBAN length, and the
 * mod-97 check holds. Not glued to letters, digits or `_`. When a grouped match runs on
 * into a following word or number, the longest valid leading groups are redacted.
 */
const COMPACT = String.raw`[A-Za-z]{2}\d{2}[A-Za-z0-9]{11,30}`;
const GROUPED = String.raw`[A-Za-z]{2}\d{2}(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?`;
const IBAN = new RegExp(String.raw`(?<![\p{L}\p{N}_])(?:${GROUPED}|${COMPACT})(?![\p{L}\p{N}_])`, 'gu');

/** A compact IBAN candidate (any case) that is valid for its country. */
export function isIban(compact: string): boolean {
  const iban = compact.toUpperCase();
  return IBAN_LENGTHS[iban.slice(0, 2)] === iban.length && ibanMod97Valid(iban);
}

export const ibanDetector: Detector = regexDetector('iban', IBAN, (match) => {
  const end = longestValidGroupPrefix(match, / /, isIban);
  return end === null ? null : { start: 0, end };
});
