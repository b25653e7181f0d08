import { ConfigFileError, readJsonConfigFile } from '../../core/config-file.ts';
import { formatIssueLines } from '../../core/schema/field-errors.ts';
import { rulesFileSchema, type RulesFile } from './rule-schema.ts';

/** A rules file that cannot be used; `issues` are `path: message` lines, all of them. */
export class RulesConfigError extends ConfigFileError {
  constructor(source: string, issues: readonly string[], cause?: unknown) {
    super('eval rules', source, issues, cause);
    this.name = 'RulesConfigError';
  }
}

/** Validates a parsed rules document; throws RulesConfigError naming every bad path. */
export function parseRules(json: unknown, source = 'eval rules'): RulesFile {
  const r = rulesFileSchema.safeParse(json);
  if (!r.success) throw new RulesConfigError(source, formatIssueLines(r.error.issues));
  return r.data;
}

/** Reads and validates `EVALS_FILE`; unreadable or non-JSON files fail the same way as invalid ones. */
export function loadRulesFile(path: string): RulesFile {
  return parseRules(readJsonConfigFile(path, (issues, cause) => new RulesConfigError(path, issues, cause)), path);
}
