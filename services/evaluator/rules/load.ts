import { readFileSync } from 'node:fs';
import { ErrorCodes, PipelineError } from '../../core/errors.ts';
import { formatIssueLines } from '../../core/schema/field-errors.ts';
import { rulesFileSchema, type RulesFile } from './rule-schema.ts';

/** A rules file that cannot be used; `issues` are `path: message` lines, all of them. */
export class RulesConfigError extends PipelineError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], cause?: unknown) {
    super(ErrorCodes.CONFIG_INVALID, `invalid eval rules (${source}):\n  ${issues.join('\n  ')}`, { cause });
    this.name = 'RulesConfigError';
    this.issues = issues;
  }
}

/** Validates a parsed rules document; throws RulesConfigError naming every bad path. */
export function parseRules(json: unknown, source = 'eval rules'): RulesFile {
  const r = rulesFileSchema.safeParse(json);
  if (!r.success) throw new RulesConfigError(source, formatIssueLines(r.error.issues));
  return r.data;
}

/** Reads and validates `EVALS_FILE`. */
export function loadRulesFile(path: string): RulesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RulesConfigError(path, [`(file): cannot read: ${(err as Error).message}`], err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RulesConfigError(path, [`(file): not valid JSON: ${(err as Error).message}`], err);
  }
  return parseRules(json, path);
}
