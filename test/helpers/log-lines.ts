import type { ChildProcess } from 'node:child_process';

/**
 * The log lines a child process writes (stdout and stderr), kept for assertions, and a
 * wait for the first line matching a pattern that fails, with the last lines, if the
 * process exits first or the time runs out. Shared by the tests' service runner and the
 * bench's process runner.
 */
export interface LogLines {
  logs: string[];
  waitForLog(pattern: RegExp, timeoutMs: number): Promise<string>;
}

export function collectLogLines(
  child: ChildProcess,
  options: {
    name: string;
    /** Each line as it arrives (e.g. echoed to stderr). */
    onLine?: (line: string) => void;
    /** Past this many lines the oldest half is dropped (long runs). Default: keep all. */
    maxLines?: number;
  },
): LogLines {
  const { name, onLine, maxLines } = options;
  const logs: string[] = [];
  const waiters = new Set<() => void>();
  let exited = false;
  const wake = () => {
    for (const w of waiters) w();
  };
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      logs.push(line);
      onLine?.(line);
    }
    if (maxLines !== undefined && logs.length > maxLines) logs.splice(0, logs.length - Math.floor(maxLines / 2));
    wake();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.on('exit', () => {
    exited = true;
    wake();
  });
  return {
    logs,
    waitForLog(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.find((l) => pattern.test(l));
          if (hit) {
            finish();
            resolve(hit);
          } else if (exited) {
            finish();
            reject(new Error(`${name} exited before logging ${pattern}; last lines:\n${logs.slice(-15).join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${name} did not log ${pattern} within ${timeoutMs} ms; last lines:\n${logs.slice(-15).join('\n')}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
