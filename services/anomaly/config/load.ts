import { readFileSync } from 'node:fs';
import { ErrorCodes, PipelineError } from '../../core/errors.ts';
import { formatIssueLines } from '../../core/schema/field-errors.ts';
import { alertsFileSchema, type AlertsFile } from './alerts-file.ts';

/** An alerts file that cannot be used; `issues` are `path: message` lines, all of them. */
export class AlertsConfigError extends PipelineError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], cause?: unknown) {
    super(ErrorCodes.CONFIG_INVALID, `invalid alerts file (${source}):\n  ${issues.join('\n  ')}`, { cause });
    this.name = 'AlertsConfigError';
    this.issues = issues;
  }
}

/**
 * Validates a parsed alerts document and fills in every default, so the service never
 * starts on a file whose meaning differs from what its author wrote. Throws
 * AlertsConfigError naming every bad path (same `path: message` format as the eval rules).
 */
export function parseAlertsFile(json: unknown, source = 'alerts file'): AlertsFile {
  const r = alertsFileSchema.safeParse(json);
  if (!r.success) throw new AlertsConfigError(source, formatIssueLines(r.error.issues));
  return r.data;
}

/** Reads and validates `ALERTS_FILE`; unreadable or non-JSON files fail the same way as invalid ones. */
export function loadAlertsFile(path: string): AlertsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AlertsConfigError(path, [`(file): cannot read: ${(err as Error).message}`], err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AlertsConfigError(path, [`(file): not valid JSON: ${(err as Error).message}`], err);
  }
  return parseAlertsFile(json, path);
}
