import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { openOutbox } from './outbox.ts';

/**
 * The outbox lock dies with its process (issue 16): a real second process holds it, is
 * SIGKILLed, and while it is still a zombie (its parent never reaps it) this process opens
 * the outbox at once; a stale lock file naming a live unrelated pid does not stop a start.
 */
const HOLDER = join(import.meta.dirname, '../../../test/support/anomaly/outbox-holder.ts');

/** `sh` starts the holder in the background and then becomes `sleep`, which never reaps it. */
function startHolder(dir: string): Promise<{ sh: ChildProcess; pid: number }> {
  const cmd = `"${process.execPath}" --import tsx "${HOLDER}" "${dir}" & exec sleep 120`;
  const sh = spawn('sh', ['-c', cmd], { cwd: join(import.meta.dirname, '../../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    sh.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /locked (\d+)/.exec(out);
      if (m) resolve({ sh, pid: Number(m[1]) });
    });
    sh.on('exit', (code) => reject(new Error(`holder exited (${code}) before locking: ${out}`)));
  });
}

function processState(pid: number): string {
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return 'gone';
  }
}

async function waitFor(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('outbox lock: held by the kernel for its process', () => {
  let dir: ReturnType<typeof tempDir>;
  const shells: ChildProcess[] = [];
  const holders: number[] = [];
  beforeEach(() => (dir = tempDir('outbox-lock')));
  afterEach(() => {
    for (const pid of holders.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const sh of shells.splice(0)) sh.kill('SIGKILL');
    dir.cleanup();
  });

  it('another live process holding it: refused, naming that process', async () => {
    const holder = await startHolder(dir.path);
    shells.push(holder.sh);
    holders.push(holder.pid);
    assert.throws(() => openOutbox(dir.path), new RegExp(`outbox .* is in use by another process \\(process ${holder.pid} took it\\)`));
  });

  it('SIGKILLed and still a zombie: a restart opens it at once', async () => {
    const holder = await startHolder(dir.path);
    shells.push(holder.sh);
    holders.push(holder.pid);
    process.kill(holder.pid, 'SIGKILL');
    await waitFor(() => processState(holder.pid) === 'Z', 'the holder to be a zombie');
    // the pid still answers kill(pid, 0), as the old pid lock trusted
    assert.doesNotThrow(() => process.kill(holder.pid, 0));
    // The leader shows Z as soon as it has exited; its other threads (node has several) may
    // take a few ms more, and the kernel closes the shared descriptors with the last one.
    let o: ReturnType<typeof openOutbox> | undefined;
    await waitFor(() => {
      try {
        o = openOutbox(dir.path);
        return true;
      } catch (err) {
        if ((err as Error).name !== 'LockHeldError') throw err;
        return false;
      }
    }, 'the kernel to drop the dead process\'s lock');
    assert.equal(processState(holder.pid), 'Z', 'the zombie was still there when the outbox opened');
    o!.close();
  });

  it('a stale lock file naming a live unrelated process does not stop a start', () => {
    writeFileSync(join(dir.path, 'outbox.lock'), String(process.ppid));
    const o = openOutbox(dir.path);
    assert.equal(readFileSync(join(dir.path, 'outbox.lock'), 'utf8'), String(process.pid));
    o.close();
  });
});
