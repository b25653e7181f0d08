import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tempDir } from './temp-dir.ts';

/**
 * A filesystem of its own for disk-full tests: a tmpfs of `sizeMiB` mounted on a new temp
 * directory (needs root, as CI runs; `.ci/run` runs as root), a ballast file that fills it
 * to the last byte, and cleanup that unmounts it. Nothing outside the mount fills up.
 */
export interface SmallFilesystem {
  path: string;
  /** Bytes still free for writing. */
  free(): number;
  /** Writes a ballast file until the filesystem refuses more (ENOSPC); returns its bytes. */
  fill(name?: string): number;
  /** Removes every ballast file: the space returns. */
  release(): void;
  cleanup(): void;
}

export function smallFilesystem(name: string, sizeMiB: number): SmallFilesystem {
  const dir = tempDir(`fs-${name}`);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir.path], { stdio: 'pipe' });
  } catch (err) {
    dir.cleanup();
    const why = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    throw new Error(`disk-full tests mount a tmpfs of their own and need root (CI runs .ci/run as root): mount failed: ${why}`);
  }
  const ballast: string[] = [];
  let mounted = true;
  const fs: SmallFilesystem = {
    path: dir.path,
    free() {
      const s = statfsSync(dir.path);
      return s.bavail * s.bsize;
    },
    fill(file = `ballast-${ballast.length}`) {
      const path = `${dir.path}/${file}`;
      ballast.push(path);
      const fd = openSync(path, 'a');
      let written = 0;
      try {
        // Halving chunk sizes down to one page: what is left free is less than a page.
        for (let size = 1 << 20; size >= 4096; size >>= 1) {
          const chunk = Buffer.alloc(size, 0x61);
          for (;;) {
            try {
              written += writeSync(fd, chunk);
            } catch {
              break;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    release() {
      for (const p of ballast.splice(0)) rmSync(p, { force: true });
    },
    cleanup() {
      if (!mounted) return;
      mounted = false;
      try {
        execFileSync('umount', ['-l', dir.path], { stdio: 'pipe' });
      } finally {
        dir.cleanup();
      }
    },
  };
  return fs;
}
