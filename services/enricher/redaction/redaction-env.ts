import { ErrorCodes, PipelineError } from '../../core/errors.ts';
import { isPiiKind, isRedactionField, PII_KINDS, REDACTION_FIELDS } from './kinds.ts';
import { REDACTION_OFF, redactionSettingsSchema, type RedactionSettings } from './redaction-settings.ts';

export interface RedactionEnv {
  /** Comma list of feature globs (`*` = all), or `none`. Unset/empty: redaction off. */
  REDACT_FEATURES?: string;
  /** Comma list of kinds, or `*`. Unset/empty: all kinds. */
  REDACT_KINDS?: string;
  /** Comma list of `input`, `output`, `metadata`, or `*`. Unset/empty: all three. */
  REDACT_FIELDS?: string;
}

/**
 * Builds the enricher's redaction settings from environment variables. Pure, so it can
 * be tested and called from any main. Off unless REDACT_FEATURES names features. Every
 * variable is validated even when redaction is off, so a typo fails at startup instead
 * of silently storing PII later; the error names the variable and the bad value.
 */
export function parseRedactionEnv(env: RedactionEnv): RedactionSettings {
  const featureList = splitList(env.REDACT_FEATURES);
  const kinds = parseChoices('REDACT_KINDS', env.REDACT_KINDS, PII_KINDS, isPiiKind);
  const fields = parseChoices('REDACT_FIELDS', env.REDACT_FIELDS, REDACTION_FIELDS, isRedactionField);
  let features: RedactionSettings['features'];
  if (featureList.length === 0 || (featureList.length === 1 && featureList[0].toLowerCase() === 'none')) features = 'none';
  else if (featureList.some((f) => f.toLowerCase() === 'none')) throw invalid('REDACT_FEATURES', env.REDACT_FEATURES, '"none" cannot be combined with feature globs');
  else features = featureList;

  const parsed = redactionSettingsSchema.safeParse({ features, kinds, fields });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = { features: 'REDACT_FEATURES', kinds: 'REDACT_KINDS', fields: 'REDACT_FIELDS' }[String(issue.path[0])] ?? 'REDACT_*';
    throw invalid(variable, env[variable as keyof RedactionEnv], issue.message);
  }
  return features === 'none' ? { ...REDACTION_OFF, kinds: parsed.data.kinds, fields: parsed.data.fields } : parsed.data;
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseChoices<T extends string>(variable: string, raw: string | undefined, all: readonly T[], accept: (v: string) => v is T): T[] {
  const list = splitList(raw);
  if (list.length === 0 || (list.length === 1 && list[0] === '*')) return [...all];
  const out: T[] = [];
  for (const item of list) {
    const v = item.toLowerCase();
    if (!accept(v)) throw invalid(variable, raw, `unknown value "${item}" (expected a comma list of ${all.join(', ')}, or *)`);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

function invalid(variable: string, raw: string | undefined, why: string): PipelineError {
  return new PipelineError(ErrorCodes.CONFIG_INVALID, `invalid configuration: ${variable}=${JSON.stringify(raw ?? '')}: ${why}`);
}
