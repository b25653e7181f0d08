/**
 * Processes of the benchmark: the sections (children of the entry, talking over IPC) and
 * the pipeline processes the sections start (services/service-main.ts, the all-in-one
 * main), with their peak RSS (VmHWM) and CPU time read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectLogLines } from '../../test/helpers/log-lines.ts';

export const REPO = join(import.meta.dirname, '../..');
const CLK_TCK = 100; // Linux USER_HZ

export interface ProcMemory {
  /** Peak resident set (VmHWM), MiB. */
  peakRssMiB: number;
  rssMiB: number;
}

/** VmHWM / VmRSS of a live process, or null once it is gone. */
export function procMemory(pid: number | 'self'): ProcMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakRssMiB: Math.round(kib('VmHWM') / 1024), rssMiB: Math.round(kib('VmRSS') / 1024) };
  } catch {
    return null;
  }
}

/** User + system CPU seconds a live process used so far, or null once it is gone. */
export function procCpuSeconds(pid: number | 'self'): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime (14), stime (15)
  } catch {
    return null;
  }
}

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Latest VmHWM seen (sampled every 250 ms and at stop), MiB. */
  peakRssMiB(): number;
  /** Starts a new peak-RSS window (the kernel's VmHWM via /proc/<pid>/clear_refs). */
  resetPeakRss(): void;
  /** CPU seconds used so far (last value seen after exit). */
  cpuSeconds(): number;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `node [nodeArgs] --import tsx <script> [args]` from the repo root, with only the given
 * environment (plus PATH/HOME). `service` names a pipeline service (service-main.ts) or
 * 'all-in-one' (the embedded main); otherwise `script` is run.
 */
export function startNode(options: {
  name: string;
  service?: string;
  script?: string;
  args?: string[];
  env: Record<string, string>;
  nodeArgs?: string[];
}): NodeProcess {
  const script =
    options.service === 'all-in-one'
      ? [join(REPO, 'services/all-in-one/main.ts')]
      : options.service
        ? [join(REPO, 'services/service-main.ts'), options.service]
        : [join(REPO, options.script!)];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', ...script, ...(options.args ?? [])], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  const output = collectLogLines(child, { name: options.name, maxLines: 2000 });
  let peak = 0;
  let cpu = 0;
  const sample = () => {
    const m = procMemory(pid);
    if (m) peak = Math.max(peak, m.peakRssMiB);
    const c = procCpuSeconds(pid);
    if (c !== null) cpu = c;
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      clearInterval(timer);
      resolve({ code, signal });
    });
  });
  return {
    name: options.name,
    child,
    pid,
    logs: output.logs,
    exited,
    waitForLog: (pattern, timeoutMs = 120_000) => output.waitForLog(pattern, timeoutMs),
    resetPeakRss: () => {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        /* not permitted: the peak keeps counting from the start */
      }
      peak = procMemory(pid)?.rssMiB ?? 0;
    },
    peakRssMiB: () => {
      if (!done) sample();
      return peak;
    },
    cpuSeconds: () => {
      if (!done) sample();
      return cpu;
    },
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (!done) {
        sample();
        child.kill(signal);
        const hard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const result = await exited;
        clearTimeout(hard);
        return result;
      }
      return exited;
    },
  };
}

// ---- sections: a child of the entry reports progress and its result over IPC ----

export type SectionMessage = { type: 'progress'; text: string } | { type: 'result'; result: unknown };

/** In a section process: the options the entry passed. */
export function sectionOptions<T>(): T {
  const raw = process.env.BENCH_OPTIONS;
  if (!raw) throw new Error('a section runs as a child of scripts/bench/main.ts (BENCH_OPTIONS is not set)');
  return JSON.parse(raw) as T;
}

let lastProgress = 0;
/** In a section process: one progress line (throttled to 4 per second unless forced). */
export function progress(text: string, force = false): void {
  const now = Date.now();
  if (!force && now - lastProgress < 250) return;
  lastProgress = now;
  if (process.send) process.send({ type: 'progress', text } satisfies SectionMessage);
  else process.stderr.write(`\r${text}\x1b[K`);
}

/** In a section process: hand the result to the entry, then exit. */
export async function finishSection(result: unknown): Promise<never> {
  if (process.send) {
    await new Promise<void>((resolve, reject) => process.send!({ type: 'result', result } satisfies SectionMessage, (err: Error | null) => (err ? reject(err) : resolve())));
  } else {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
  process.exit(0);
}

/** Runs `fn` as a section's body: an error becomes a result with `error`. */
export async function runSectionMain(fn: () => Promise<unknown>): Promise<void> {
  try {
    await finishSection(await fn());
  } catch (err) {
    await finishSection({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
