/**
 * librdkafka's mock Kafka cluster as a child process for tests (see
 * test/helpers/mock-kafka/mock_kafka.c for the stdin command protocol).
 *
 *   const kafka = await startMockKafka({ topics: [{ name: 't', partitions: 3 }] });
 *   // kafka.bootstrap = '127.0.0.1:PORT'; await kafka.brokerDown(1); ... await kafka.stop();
 *
 * The C helper is compiled on first use (and whenever the source is newer than the
 * binary) into test/helpers/mock-kafka/build/, which is gitignored.
 */
import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const here = join(dirname(fileURLToPath(import.meta.url)), 'mock-kafka');
const SOURCE = join(here, 'mock_kafka.c');
const BINARY = join(here, 'build', 'mock-kafka');
const INSTALL_HINT = 'run: apt-get install -y librdkafka-dev';

export interface MockKafkaOptions {
  brokers?: number;
  topics?: { name: string; partitions: number }[];
  /** Copy the helper's stderr (librdkafka logs) to this process's stderr. */
  verbose?: boolean;
  startTimeoutMs?: number;
}

export interface MockKafka {
  /** Comma-separated host:port list. */
  bootstrap: string;
  /** Broker list for kafkajs. */
  brokers: string[];
  /** Sends one command line; resolves with the reply line (`OK` or `ERR ...`). */
  command(line: string): Promise<string>;
  /** Like `command`, but rejects unless the reply is `OK`. */
  ok(line: string): Promise<void>;
  createTopic(name: string, partitions: number): Promise<void>;
  brokerDown(id: number): Promise<void>;
  brokerUp(id: number): Promise<void>;
  setRtt(id: number, ms: number): Promise<void>;
  /** The next `errs.length` requests of `api` (name like 'Produce' or number) fail with `errs`. */
  pushErrors(api: string | number, errs: (string | number)[]): Promise<void>;
  stop(): Promise<void>;
}

let building: Promise<string> | null = null;

/** Compiles the helper if the binary is missing or older than its source. */
export function ensureMockKafkaBinary(): Promise<string> {
  if (building) return building;
  building = build().catch((err) => {
    building = null;
    throw err;
  });
  return building;
}

async function build(): Promise<string> {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return BINARY;
  mkdirSync(dirname(BINARY), { recursive: true });
  const tmp = `${BINARY}.tmp.${process.pid}`;
  const cc = process.env.CC ?? 'cc';
  try {
    await new Promise<void>((resolve, reject) => {
      execFile(cc, ['-O2', '-Wall', '-std=c11', '-o', tmp, SOURCE, '-lrdkafka'], (err, _stdout, stderr) => {
        if (!err) return resolve();
        const missing = /rdkafka(_mock)?\.h|cannot find -lrdkafka|No such file/i.test(stderr) || (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new Error(
            missing
              ? `mock-kafka: cannot compile the mock Kafka helper: librdkafka-dev (or a C compiler) is not installed; ${INSTALL_HINT}\n${stderr}`
              : `mock-kafka: compiling ${SOURCE} failed:\n${stderr}`,
            { cause: err },
          ),
        );
      });
    });
    renameSync(tmp, BINARY); // atomic: concurrent test files never run a half-written binary
  } finally {
    rmSync(tmp, { force: true });
  }
  return BINARY;
}

const live = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startMockKafka(options: MockKafkaOptions = {}): Promise<MockKafka> {
  const binary = await ensureMockKafkaBinary();
  const args = ['--brokers', String(options.brokers ?? 1)];
  for (const t of options.topics ?? []) args.push('--topic', `${t.name}:${t.partitions}`);
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const stderrTail: string[] = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (options.verbose) process.stderr.write(chunk);
    stderrTail.push(chunk);
    if (stderrTail.length > 50) stderrTail.shift();
  });
  child.stdin.on('error', () => {}); // EPIPE after the child died; reported via 'exit'

  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  const pending: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  const lines = createInterface({ input: child.stdout });

  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`mock-kafka: no BOOTSTRAP line within ${options.startTimeoutMs ?? 15_000} ms`)), options.startTimeoutMs ?? 15_000);
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`mock-kafka exited before start (code ${code}, signal ${signal}): ${stderrTail.join('')}`));
    function fail(err: Error) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(err);
    }
    child.once('exit', onExit);
    child.once('error', (err) => fail(err));
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      const m = /^BOOTSTRAP (\S+)$/.exec(line);
      if (m) resolve(m[1]);
      else fail(new Error(`mock-kafka: unexpected first line: ${line}`));
    });
  });

  lines.on('line', (line) => pending.shift()?.resolve(line));
  child.once('exit', (code, signal) => {
    const err = new Error(`mock-kafka exited (code ${code}, signal ${signal}) ${stderrTail.join('')}`);
    for (const p of pending.splice(0)) p.reject(err);
  });

  function command(line: string): Promise<string> {
    if (exited) return Promise.reject(new Error('mock-kafka is not running'));
    if (/[\r\n]/.test(line)) return Promise.reject(new Error('mock-kafka: one command per call'));
    return new Promise<string>((resolve, reject) => {
      pending.push({ resolve, reject });
      child.stdin.write(`${line}\n`);
    });
  }

  async function ok(line: string): Promise<void> {
    const reply = await command(line);
    if (reply !== 'OK') throw new Error(`mock-kafka: '${line}' failed: ${reply}`);
  }

  return {
    bootstrap,
    brokers: bootstrap.split(','),
    command,
    ok,
    createTopic: (name, partitions) => ok(`create ${name} ${partitions}`),
    brokerDown: (id) => ok(`down ${id}`),
    brokerUp: (id) => ok(`up ${id}`),
    setRtt: (id, ms) => ok(`rtt ${id} ${ms}`),
    pushErrors: (api, errs) => ok(`push_errors ${api} ${errs.length} ${errs.join(' ')}`),
    async stop() {
      if (exited) return;
      child.stdin.end(); // EOF: the helper destroys the cluster and exits
      const timer = setTimeout(() => child.kill('SIGTERM'), 3_000);
      const hard = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await exitPromise;
      clearTimeout(timer);
      clearTimeout(hard);
    },
  };
}
