/**
 * Schema migrations: `NNN_name.sql` files applied in version order, each at most once.
 *
 * - A file holds one or more statements, separated by `;` at the end of a line.
 *   `--` comment lines are dropped.
 * - `{{VAR}}` placeholders are replaced from `vars`; only numbers and plain identifiers
 *   are accepted as values (they end up in DDL text), and a missing variable is an error
 *   naming the file and the variable.
 * - Applied versions are recorded in `schema_migrations` (created if missing;
 *   ReplacingMergeTree keyed by version, so a duplicate record is harmless).
 * - A file is recorded only after all its statements succeeded. Statements are expected
 *   to be idempotent (`CREATE … IF NOT EXISTS`, `ADD COLUMN IF NOT EXISTS`), so a crash
 *   in the middle of a file, or two processes migrating at the same time, just re-run
 *   it: the second run is a no-op.
 * - A file changed after it was applied is not re-applied (add a new file instead); its
 *   checksum mismatch is logged.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Store } from './store.ts';

export interface MigrationOptions {
  /** Directory holding the `NNN_name.sql` files, e.g. 'schemas/clickhouse'. */
  dir: string;
  /** Values for `{{VAR}}` placeholders: numbers or identifiers. */
  vars: Record<string, string | number>;
  log: Logger;
  /** Table recording applied versions. Default 'schema_migrations'. */
  table?: string;
}

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  checksum: string;
  statements: string[];
}

export interface MigrationResult {
  /** Files applied by this call, e.g. '001_traces.sql'. */
  applied: string[];
  /** Files already recorded as applied. */
  skipped: string[];
}

const FILE_RE = /^(\d+)_([A-Za-z0-9_.-]+)\.sql$/;
const VAR_VALUE_RE = /^(?:-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*)$/;

function configError(message: string): PipelineError {
  return new PipelineError(ErrorCodes.CONFIG_INVALID, message, { retryable: false });
}

/** Replaces `{{VAR}}` placeholders; values must be numbers or identifiers. */
export function substituteVars(text: string, vars: Record<string, string | number>, file: string): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    if (!Object.prototype.hasOwnProperty.call(vars, name)) {
      throw configError(`migration ${file}: no value for {{${name}}} (known: ${Object.keys(vars).sort().join(', ') || 'none'})`);
    }
    const value = vars[name];
    const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
    if (!VAR_VALUE_RE.test(text)) {
      throw configError(`migration ${file}: {{${name}}} = ${JSON.stringify(value)} is not a number or an identifier`);
    }
    return text;
  });
}

/** Splits a file into statements at `;` ending a line; drops comment-only chunks. */
export function splitStatements(text: string): string[] {
  return text
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((chunk) =>
      chunk
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

/** Reads and prepares the migration files of `dir`, in version order. */
export function loadMigrations(dir: string, vars: Record<string, string | number>): MigrationFile[] {
  const files: MigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE_RE.exec(file);
    if (!m) throw configError(`migration ${file}: expected a name like 001_create_traces.sql`);
    const version = Number(m[1]);
    const other = seen.get(version);
    if (other) throw configError(`migrations ${other} and ${file} have the same version ${version}`);
    seen.set(version, file);
    const raw = readFileSync(join(dir, file), 'utf8');
    const statements = splitStatements(substituteVars(raw, vars, file));
    const checksum = createHash('sha256').update(raw).digest('hex');
    files.push({ version, name: m[2]!, file, checksum, statements });
  }
  return files.sort((a, b) => a.version - b.version);
}

export async function applyMigrations(store: Store, options: MigrationOptions): Promise<MigrationResult> {
  const log = options.log.child({ component: 'migrations' });
  const table = options.table ?? 'schema_migrations';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw configError(`invalid migrations table name ${JSON.stringify(table)}`);
  const files = loadMigrations(options.dir, options.vars);

  await store.command(
    `CREATE TABLE IF NOT EXISTS ${table}
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version
SETTINGS non_replicated_deduplication_window = 100`,
  );
  const rows = await store.query<{ version: number; checksum: string }>(`SELECT version, argMax(checksum, applied_at) AS checksum FROM ${table} GROUP BY version`);
  const applied = new Map(rows.map((r) => [Number(r.version), r.checksum]));

  const result: MigrationResult = { applied: [], skipped: [] };
  for (const m of files) {
    const done = applied.get(m.version);
    if (done !== undefined) {
      if (done !== m.checksum) log.warn({ file: m.file }, 'migration changed after it was applied; not re-applied (add a new migration instead)');
      result.skipped.push(m.file);
      continue;
    }
    log.info({ file: m.file, statements: m.statements.length }, 'applying migration');
    for (const [i, sql] of m.statements.entries()) {
      try {
        await store.command(sql);
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        throw new PipelineError(ErrorCodes.STORE_QUERY_FAILED, `migration ${m.file}, statement ${i + 1}: ${detail}`, {
          cause: err,
          retryable: err instanceof PipelineError ? err.retryable : false,
          ...(err instanceof PipelineError && err.chCode !== undefined ? { chCode: err.chCode, chType: err.chType } : {}),
        });
      }
    }
    await store.insert(table, [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: new Date() }], {
      dedupToken: `migration-${m.version}-${m.checksum.slice(0, 16)}`,
    });
    result.applied.push(m.file);
  }
  log.info({ applied: result.applied.length, skipped: result.skipped.length }, 'migrations done');
  return result;
}
