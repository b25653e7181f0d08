/**
 * INSERT data over HTTP. chDB ends inline INSERT data at the first empty line and runs
 * what follows as SQL, so the data is never inlined: it is written to a temporary file
 * and inserted with `INSERT … FROM INFILE`, which reads any format (text or binary) byte
 * for byte. See http-interface.ts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseHttpError } from './ch-errors.ts';
import { sqlStringLiteral } from './sql-lexer.ts';
import type { InsertWithData } from './sql-statement.ts';

/** The directory INSERT data files go to, for the lifetime of the interface. */
export function createInsertDir(): string {
  return mkdtempSync(join(tmpdir(), 'ch-http-insert-'));
}

export function removeInsertDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Writes the data of `text` (an INSERT with data, as analysed in `ins`) to a file in
 * `insertDir` and returns the statement that inserts it; the caller removes `dataFile`.
 */
export function insertFromFile(text: Buffer, ins: InsertWithData, insertDir: string | undefined): { sql: string; dataFile: string } {
  if (!insertDir) throw ClickHouseHttpError.of('TOO_MANY_SIMULTANEOUS_QUERIES', 'The server is not ready');
  const dataFile = join(insertDir, `${randomUUID()}.data`);
  writeFileSync(dataFile, text.subarray(ins.dataStart));
  const head = text.subarray(0, ins.headEnd).toString('utf8').trimEnd();
  const settingsClause = ins.settingsStart >= 0 ? ` ${text.subarray(ins.settingsStart, ins.formatStart).toString('utf8').trim()}` : '';
  return { sql: `${head} FROM INFILE ${sqlStringLiteral(dataFile)}${settingsClause} FORMAT ${ins.format}`, dataFile };
}

export function removeDataFile(dataFile: string): void {
  try {
    unlinkSync(dataFile);
  } catch {
    /* already gone */
  }
}
