/**
 * `npm run bench [-- --events N --rows N --query-rows N --skip distributed,queries --profile]`
 *
 * Runs each section in its own child process (chDB binds one data directory per process),
 * shows one progress line on stderr, then prints a table of every figure beside its
 * limit and target, and writes the JSON report (.bench/report.json):
 *   1 limit        the embedded engine's own bulk-insert rate for the same rows
 *   2 embedded     HTTP ingest → traces + rollups, exact counts, ratio to (1)
 *   3 distributed  enricher / writer processes over mock Kafka, per-stage costs
 *   4 freshness    2xx at ingest → visible on GET /v1/traces/:id at half of (2)'s rate
 *   5 queries      query API p50/p95/p99 over N traces at 1 and 32 clients vs a raw scan
 *   6 memory       peak RSS (VmHWM) of every pipeline process
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseBenchArgs, type BenchOptions, type SectionName } from './args.ts';
import { buildFigures, collectWarnings, type SectionResults } from './figures.ts';
import { formatProfileSummary } from './profile.ts';
import { REPO, type SectionMessage } from './proc.ts';
import { figureRows, formatTable, judge, TABLE_HEADERS } from './report.ts';

let opts: BenchOptions;
try {
  opts = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}

const tty = process.stderr.isTTY;
const began = Date.now();
let lastLine = '';
function showProgress(text: string): void {
  const secs = Math.round((Date.now() - began) / 1000);
  const line = `[${String(Math.floor(secs / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}] ${text}`;
  const cols = (tty ? process.stderr.columns : 0) || 160;
  lastLine = line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line;
  process.stderr.write(`\r${lastLine}\x1b[K`);
}
function endProgressLine(final: string): void {
  showProgress(final);
  process.stderr.write('\n');
}

/** One section as a child process; resolves with its result (or { error }). */
function runSection(label: string, script: string, options: object): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/bench', script)], {
      cwd: REPO,
      env: { ...process.env, BENCH_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const tail: string[] = [];
    const keep = (chunk: Buffer) => {
      tail.push(chunk.toString('utf8'));
      if (tail.length > 40) tail.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let result: Record<string, unknown> | null = null;
    child.on('message', (m: SectionMessage) => {
      if (m.type === 'progress') showProgress(`${label}: ${m.text.replace(/^[a-z]+: /, '')}`);
      else if (m.type === 'result') result = m.result as Record<string, unknown>;
    });
    child.on('exit', (code, signal) => {
      if (result) resolve(result);
      else resolve({ error: `section process exited (code ${code}, signal ${signal}) without a result:\n${tail.join('').slice(-3000)}` });
    });
  });
}

const skip = new Set<SectionName>(opts.skip);
if (skip.has('embedded') && !(skip.has('freshness') && skip.has('overload'))) {
  process.stderr.write('note: freshness and overload run at a multiple of the embedded rate, so they are skipped with embedded\n');
  skip.add('freshness');
  skip.add('overload');
}
const plan: { name: keyof SectionResults; label: string; script: string; options: object }[] = [];
if (!skip.has('limit')) plan.push({ name: 'limit', label: '1 limit', script: 'section-limit.ts', options: opts });
const embeddedLabel = ['2 embedded', skip.has('freshness') ? '' : '4 freshness', skip.has('overload') ? '' : '7 overload'].filter(Boolean).join(', ');
if (!skip.has('embedded')) plan.push({ name: 'embedded', label: embeddedLabel, script: 'section-embedded.ts', options: { ...opts, freshness: !skip.has('freshness'), overload: !skip.has('overload') } });
if (!skip.has('distributed')) plan.push({ name: 'distributed', label: '3 distributed', script: 'section-distributed.ts', options: opts });
if (!skip.has('queries')) plan.push({ name: 'queries', label: '5 queries', script: 'section-queries.ts', options: opts });
if (!skip.has('otlp')) plan.push({ name: 'otlp', label: '8 otlp', script: 'section-otlp.ts', options: opts });

const loadBefore = loadavg();
const results: SectionResults = {};
const sectionSeconds: Record<string, number> = {};
for (const [i, s] of plan.entries()) {
  const t = Date.now();
  showProgress(`${s.label} (${i + 1}/${plan.length}): starting`);
  const r = await runSection(`${s.label} (${i + 1}/${plan.length})`, s.script, s.options);
  sectionSeconds[s.name] = Math.round((Date.now() - t) / 100) / 10;
  (results as Record<string, unknown>)[s.name] = r;
  endProgressLine(`${s.label}: ${r.error ? 'FAILED' : 'done'} in ${sectionSeconds[s.name]} s`);
}
const loadAfter = loadavg();

const figures = buildFigures(results);
const warnings = collectWarnings(results, { loadBefore: loadBefore[0], cpus: cpus().length });
const judged = figures.filter((f) => f.target).map((f) => ({ ...f, verdict: judge(f.value, f.target!) }));
const missed = judged.filter((f) => !f.verdict.met);

process.stdout.write(`\nBenchmark (${cpus().length} CPUs, node ${process.version}, load average ${loadBefore[0].toFixed(1)} at start / ${loadAfter[0].toFixed(1)} at end)\n\n`);
process.stdout.write(`${formatTable(TABLE_HEADERS, figureRows(figures))}\n`);
process.stdout.write('\nratio: throughput ÷ limit (1b raw insert) for rates; reference raw scan ÷ API for queries (> 1: the API is faster)\n');
process.stdout.write(`targets: ${judged.length - missed.length} met, ${missed.length} missed\n`);
const profile = results.embedded && !('error' in results.embedded) ? results.embedded.profile : undefined;
if (profile) process.stdout.write(`\n${formatProfileSummary(profile.summary)}\n  (full profile: ${profile.file}; line numbers are of the tsx-transformed code)\n`);
else if (missed.length > 0 && !skip.has('embedded')) process.stdout.write('\nrun with --profile for a CPU profile of the embedded pipeline\n');
if (warnings.length > 0) process.stdout.write(`\nwarnings:\n${warnings.map((w) => `  - ${w}`).join('\n')}\n`);

const report = {
  startedAt: new Date(began).toISOString(),
  seconds: Math.round((Date.now() - began) / 100) / 10,
  machine: { cpus: cpus().length, node: process.version, totalMemMiB: Math.round(totalmem() / 1024 / 1024), loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
  options: opts,
  sectionSeconds,
  figures: figures.map((f) => ({ ...f, verdict: f.target ? judge(f.value, f.target) : undefined })),
  targets: { met: judged.length - missed.length, missed: missed.map((f) => `${f.section}: ${f.metric}`) },
  warnings,
  sections: results,
};
const out = join(REPO, opts.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\nreport written to ${opts.out}\n`);
const broken = Object.values(results).some((r) => r?.error) || warnings.some((w) => w.startsWith('INEXACT') || w.startsWith('FAILED'));
process.exit(broken ? 1 : 0);
