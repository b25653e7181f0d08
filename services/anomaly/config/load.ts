import { ConfigFileError, readJsonConfigFile } from '../../core/config-file.ts';
import { formatIssueLines } from '../../core/schema/field-errors.ts';
import { alertsFileSchema, type AlertsFile } from './alerts-file.ts';

/** An alerts file that cannot be used; `issues` are `path: message` lines, all of them. */
export class AlertsConfigError extends ConfigFileError {
  constructor(source: string, issues: readonly string[], cause?: unknown) {
    super('alerts file', source, issues, cause);
    this.name = 'AlertsConfigError';
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
  return parseAlertsFile(readJsonConfigFile(path, (issues, cause) => new AlertsConfigError(path, issues, cause)), path);
}
