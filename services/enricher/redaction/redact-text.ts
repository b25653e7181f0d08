import { cardDetector } from './detectors/card.ts';
import type { Detector } from './detectors/detector.ts';
import { emailDetector } from './detectors/email.ts';
import { ibanDetector } from './detectors/iban.ts';
import { phoneDetector } from './detectors/phone.ts';
import { secretDetector } from './detectors/secret.ts';
import { zeroCounts, type PiiKind, type RedactionCounts } from './kinds.ts';

/**
 * Detector order matters where shapes overlap: secrets first (a key may contain digit
 * runs or an `@`), then emails, IBANs (letters + digits), cards, and phones last, since
 * their shapes are the loosest. Placeholders contain no digits or `@`, so a later
 * detector never re-matches an earlier one's output.
 */
const DETECTORS: readonly Detector[] = [secretDetector, emailDetector, ibanDetector, cardDetector, phoneDetector];

export interface RedactedText {
  text: string;
  counts: RedactionCounts;
}

/**
 * Replaces every detected span of the requested kinds with `[REDACTED:<kind>]` and
 * counts them per kind, so the stored text carries no PII while the fact that (and how
 * much) was removed stays queryable. Pure and linear in the length of `text`.
 */
export function redactText(text: string, kinds: Iterable<PiiKind>): RedactedText {
  const wanted = new Set(kinds);
  const counts = zeroCounts();
  let out = text;
  for (const detector of DETECTORS) {
    if (!wanted.has(detector.kind)) continue;
    const r = detector.redact(out);
    out = r.text;
    counts[detector.kind] += r.count;
  }
  return { text: out, counts };
}
