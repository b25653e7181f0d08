import { join } from 'node:path';
import { lockFile, type FileLock } from '../../core/file-lock.ts';

/**
 * The outbox's single-writer lock: a kernel-held lock on `outbox.lock` in its directory
 * (core/file-lock.ts), so it dies with its process (SIGKILL, a crash, a zombie not yet
 * reaped) and a second open is refused while the first lives, in another process or in
 * this one.
 */
const LOCK_FILE = 'outbox.lock';
const held = new Map<string, FileLock>();

/** Takes the lock of `dir` (an absolute path) or throws naming who holds it. */
export function acquireLock(dir: string): void {
  if (held.has(dir)) throw new Error(`outbox ${dir} is already open in this process`);
  held.set(dir, lockFile(join(dir, LOCK_FILE), `outbox ${dir}`));
}

export function releaseLock(dir: string): void {
  held.get(dir)?.release();
  held.delete(dir);
}
