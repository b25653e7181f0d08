/**
 * The query section of two bench reports side by side (e.g. 1 M and 10 M traces): p95 of
 * each dashboard question at 1 and 32 clients, its raw-scan reference, the answer's row
 * count, generation and peak RSS, and how much the p95 grew from the first to the second.
 *
 *   npm run bench -- --skip limit,embedded,freshness,distributed --query-rows 1000000 --out .bench/q1m.json
 *   npm run bench -- --skip limit,embedded,freshness,distributed --query-rows 10000000 --out .bench/q10m.json
 *   npx tsx scripts/bench/compare-queries.ts .bench/q1m.json .bench/q10m.json
 */
import { readFileSync } from 'node:fs';
import { formatTable } from './report.ts';
import type { QueriesResult } from './section-queries.ts';

const files = process.argv.slice(2);
if (files.length !== 2) {
  process.stderr.write('usage: npx tsx scripts/bench/compare-queries.ts <report A.json> <report B.json>\n');
  process.exit(2);
}
const [a, b] = files.map((f) => {
  const report = JSON.parse(readFileSync(f, 'utf8')) as { sections: { queries?: QueriesResult | { error: string } }; machine: { cpus: number; loadAverageBefore: number[] } };
  const q = report.sections.queries;
  if (!q || 'error' in q) throw new Error(`${f}: no query section result`);
  return { q, load: report.machine.loadAverageBefore[0] ?? 0 };
}) as [{ q: QueriesResult; load: number }, { q: QueriesResult; load: number }];

const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
const rowsLabel = (q: QueriesResult) => `${n(q.rows)} traces`;
const headers = ['question', 'clients', `p95 ${rowsLabel(a.q)}`, `p95 ${rowsLabel(b.q)}`, 'growth', `scan p95 ${rowsLabel(a.q)}`, `scan p95 ${rowsLabel(b.q)}`, 'answer rows'];
const rows: string[][] = [];
for (const qa of a.q.queries) {
  const qb = b.q.queries.find((x) => x.name === qa.name);
  if (!qb) continue;
  for (const [i, la] of qa.api.entries()) {
    const lb = qb.api[i]!;
    rows.push([
      qa.name,
      String(la.clients),
      `${n(la.latency.p95)} ms`,
      `${n(lb.latency.p95)} ms`,
      `×${(lb.latency.p95 / la.latency.p95).toFixed(2)}`,
      `${n(qa.reference[i]!.latency.p95)} ms`,
      `${n(qb.reference[i]!.latency.p95)} ms`,
      `${n(qa.responseRows)}${qa.truncated ? ' (truncated)' : ''} / ${n(qb.responseRows)}${qb.truncated ? ' (truncated)' : ''}`,
    ]);
  }
}
rows.push(['peak RSS (API queries)', '', `${n(a.q.pipelinePeakRssMiB)} MiB`, `${n(b.q.pipelinePeakRssMiB)} MiB`, '', '', '', '']);
rows.push(['exact totals', '', String(a.q.check.exact), String(b.q.check.exact), '', '', '', '']);
process.stdout.write(`${formatTable(headers, rows)}\n`);
process.stdout.write(`load average at start: ${a.load.toFixed(1)} / ${b.load.toFixed(1)}\n`);
