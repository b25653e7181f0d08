import { z } from 'zod';
import { PII_KINDS, REDACTION_FIELDS } from './kinds.ts';

/**
 * What the enricher redacts, as plain data (loggable, comparable, easy to build from
 * env or a file):
 * - `features`: globs (`*`, `?`; see core/glob.ts) of the trace `feature`
 *   values whose events are redacted — redaction is opt-in per feature; `'none'` is off;
 * - `kinds`: which detectors run;
 * - `fields`: which parts of the event are scanned (`metadata` = every metadata value).
 */
export const redactionSettingsSchema = z.strictObject({
  features: z.union([
    z.literal('none'),
    z.array(z.string().min(1, 'a feature glob must not be empty').max(128, 'a feature glob is at most 128 characters')).min(1, 'list at least one feature glob, or use "none"'),
  ]),
  kinds: z.array(z.enum(PII_KINDS)).min(1, 'list at least one kind'),
  fields: z.array(z.enum(REDACTION_FIELDS)).min(1, 'list at least one field'),
});

export type RedactionSettings = Readonly<z.output<typeof redactionSettingsSchema>>;

/** The default: nothing is redacted, events pass through byte-identical. */
export const REDACTION_OFF: RedactionSettings = Object.freeze({ features: 'none', kinds: [...PII_KINDS], fields: [...REDACTION_FIELDS] });

/** Whether any event can be redacted at all (lets callers skip the per-event work). */
export function redactionEnabled(settings: RedactionSettings | undefined): settings is RedactionSettings {
  return settings !== undefined && settings.features !== 'none';
}
