import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * An exclusive lock on a file that the kernel holds for this process and drops when the
 * process ends, however it ends: a Linux open-file-description lock (fcntl F_OFD_SETLK,
 * through fs-native-extensions, prebuilt; flock on macOS). Nothing to go stale: a
 * SIGKILLed process's lock is gone when the kernel closes its descriptors (before its
 * parent reaps the zombie), a pid reused after a reboot or in a container means nothing,
 * and two opens in one process exclude each other too (the lock belongs to the open
 * file, not to the process).
 *
 * The file is never deleted (a process could hold the lock on a deleted inode while
 * another locks a new file of the same name); the holder's pid is written into it only
 * to name the holder in the error of the one refused.
 */
const require = createRequire(import.meta.url);
// Typed here: the package ships no declarations.
const native = require('fs-native-extensions') as { tryLock(fd: number): boolean; unlock(fd: number): void };

export interface FileLock {
  readonly path: string;
  release(): void;
}

export class LockHeldError extends Error {
  readonly path: string;
  constructor(path: string, what: string) {
    let holder = '';
    try {
      const pid = readFileSync(path, 'utf8').trim();
      if (/^\d+$/.test(pid)) holder = ` (process ${pid} took it)`;
    } catch {
      // unreadable: say nothing of the holder
    }
    super(`${what} is in use by another process${holder}: ${path} is locked`);
    this.name = 'LockHeldError';
    this.path = path;
  }
}

/** Takes the lock of `path` (created if missing) or throws LockHeldError; `what` names the resource in the error. */
export function lockFile(path: string, what: string): FileLock {
  // Read-write without truncating: the holder's pid stays readable until the lock is ours.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  let granted = false;
  try {
    granted = native.tryLock(fd);
  } finally {
    if (!granted) closeSync(fd);
  }
  if (!granted) throw new LockHeldError(path, what);
  ftruncateSync(fd, 0);
  writeSync(fd, String(process.pid), 0);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      native.unlock(fd);
      closeSync(fd);
    },
  };
}
