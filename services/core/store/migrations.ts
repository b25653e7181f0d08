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
 * - A statement may be guarded: a line `-- @if <query>` inside it (before its text) runs
 *   `<query>` first, and the statement only when the query's first value is true (1).
 *   Several guards must all hold. This is what makes a data-moving step (an
 *   `INSERT … SELECT`, an `EXCHANGE TABLES`) idempotent: its guard asks whether the move
 *   is still to be done, so a file re-run after a crash resumes instead of repeating it.
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

/** One statement of a file, with the `-- @if` queries that must all answer 1 for it to run. */
export interface MigrationStatement {
  sql: string;
  guards: string[];
}

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  checksum: string;
  statements: MigrationStatement[];
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

const GUARD_RE = /^--\s*@if\s+(.+)$/;

/** Splits a file into statements at `;` ending a line, each with its `-- @if` guards;
 *  other comment lines are dropped, and comment-only chunks too. */
export function parseStatements(text: string): MigrationStatement[] {
  const out: MigrationStatement[] = [];
  for (const chunk of text.split(/;[ \t]*(?:\r?\n|$)/)) {
    const guards: string[] = [];
    const lines: string[] = [];
    for (const line of chunk.split('\n')) {
      const t = line.trim();
      const guard = GUARD_RE.exec(t);
      if (guard) guards.push(guard[1]!.trim());
      else if (!t.startsWith('--')) lines.push(line);
    }
    const sql = lines.join('\n').trim();
    if (sql.length > 0) out.push({ sql, guards });
    else if (guards.length > 0) throw configError(`a -- @if guard (${guards[0]}) is not followed by a statement`);
  }
  return out;
}

/** The statements' text only (guards left out). */
export function splitStatements(text: string): string[] {
  return parseStatements(text).map((s) => s.sql);
}

/** True when every guard's first value is 1/true. */
async function guardsHold(store: Store, guards: readonly string[]): Promise<boolean> {
  for (const guard of guards) {
    const [row] = await store.query<Record<string, unknown>>(guard);
    const value = row === undefined ? undefined : Object.values(row)[0];
    if (!(value === 1 || value === '1' || value === true)) return false;
  }
  return true;
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
    const text = substituteVars(raw, vars, file);
    let statements: MigrationStatement[];
    try {
      statements = parseStatements(text);
    } catch (err) {
      if (err instanceof PipelineError) throw configError(`migration ${file}: ${err.message}`);
      throw err;
    }
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
    for (const [i, { sql, guards }] of m.statements.entries()) {
      try {
        if (guards.length > 0 && !(await guardsHold(store, guards))) {
          log.debug({ file: m.file, statement: i + 1 }, 'guard does not hold: statement skipped');
          continue;
        }
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
