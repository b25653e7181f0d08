import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The outbox's single-writer lock: a lock file holding the owner's pid refuses a second
 * open of the same directory while the first process lives, and a second open within
 * one process until the first is closed.
 */
const LOCK_FILE = 'outbox.lock';
const openDirs = new Set<string>();

/** Takes the lock of `dir` (an absolute path) or throws naming who holds it; a stale lock is taken over. */
export function acquireLock(dir: string): void {
  if (openDirs.has(dir)) throw new Error(`outbox ${dir} is already open in this process`);
  const lock = join(dir, LOCK_FILE);
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number(readFileSync(lock, 'utf8').trim());
    // Our own pid but not open here: a previous run in a container that reuses pids. Stale.
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new Error(`outbox ${dir} is in use by process ${pid}`);
    }
    writeFileSync(lock, String(process.pid));
  }
  openDirs.add(dir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function releaseLock(dir: string): void {
  openDirs.delete(dir);
  rmSync(join(dir, LOCK_FILE), { force: true });
}
