import { readFileSync } from 'node:fs';
import { ErrorCodes, PipelineError } from './errors.ts';

/** A config file (eval rules, alerts, …) that cannot be used; `issues` are `path: message` lines, all of them. */
export class ConfigFileError extends PipelineError {
  readonly issues: readonly string[];
  constructor(what: string, source: string, issues: readonly string[], cause?: unknown) {
    super(ErrorCodes.CONFIG_INVALID, `invalid ${what} (${source}):\n  ${issues.join('\n  ')}`, { cause });
    this.name = 'ConfigFileError';
    this.issues = issues;
  }
}

/**
 * Reads and parses a JSON config file. An unreadable or non-JSON file fails the same way
 * as an invalid one: through `invalid`, with one `(file): …` issue line.
 */
export function readJsonConfigFile(path: string, invalid: (issues: string[], cause: unknown) => Error): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid([`(file): cannot read: ${(err as Error).message}`], err);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid([`(file): not valid JSON: ${(err as Error).message}`], err);
  }
}
