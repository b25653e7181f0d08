import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { collectLogLines } from './log-lines.ts';

/**
 * Runs one pipeline service as a real child process (`services/service-main.ts <name>`),
 * the way `npm run service -- <name>` does — or, for name `all-in-one`, the embedded
 * pipeline as `npm start` does — and keeps its log lines for assertions.
 */
const REPO = join(import.meta.dirname, '../..');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logs: string[];
  /** Resolves with the exit code / signal when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startService(name: string, env: Record<string, string>, options: { verbose?: boolean; args?: string[] } = {}): ServiceProcess {
  const args = name === 'all-in-one' ? [join(REPO, 'services/all-in-one/main.ts')] : [join(REPO, 'services/service-main.ts'), name];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args, ...(options.args ?? [])], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectLogLines(child, {
    name,
    onLine: options.verbose || process.env.E2E_VERBOSE ? (line) => process.stderr.write(`[${name}] ${line}\n`) : undefined,
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  let done = false;
  void exited.then(() => (done = true));

  return {
    name,
    child,
    logs: output.logs,
    exited,
    waitForLog: (pattern, timeoutMs = 60_000) => output.waitForLog(pattern, timeoutMs),
    async stop(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Poll `fn` until it returns a truthy value or the time runs out (then throw with the last value). */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not reached within ${timeoutMs} ms; last value: ${JSON.stringify(last)}${lastErr ? `; last error: ${String(lastErr)}` : ''}`);
}
