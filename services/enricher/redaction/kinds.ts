/**
 * The vocabulary of PII redaction: what can be detected (kinds), where it is looked for
 * (fields), and how a redacted span looks in stored text. Kept in one place so the
 * detectors, the config schema and the metadata counts cannot drift apart.
 */
export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'secret'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export const REDACTION_FIELDS = ['input', 'output', 'metadata'] as const;
export type RedactionField = (typeof REDACTION_FIELDS)[number];

/** Redactions per kind; every kind present (0 when nothing was found). */
export type RedactionCounts = Record<PiiKind, number>;

/** Prefix of the metadata keys that carry the counts (`pii_redacted.email` = "2"). */
export const COUNT_KEY_PREFIX = 'pii_redacted.';

/**
 * The text that replaces a detected span. It contains no digits and no `@`, so a
 * detector that runs later can never match (and count) another detector's placeholder.
 */
export function placeholder(kind: PiiKind): string {
  return `[REDACTED:${kind}]`;
}

export function zeroCounts(): RedactionCounts {
  return { email: 0, phone: 0, card: 0, iban: 0, secret: 0 };
}

export function isPiiKind(value: string): value is PiiKind {
  return (PII_KINDS as readonly string[]).includes(value);
}

export function isRedactionField(value: string): value is RedactionField {
  return (REDACTION_FIELDS as readonly string[]).includes(value);
}
