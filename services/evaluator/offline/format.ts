import type { Comparison } from './compare.ts';
import type { ScoreSummary } from './report.ts';

/** Text output of the CLI: a table per score name, and progress lines. */

const num = (v: number | null, digits = 3) => (v === null ? '-' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const pval = (p: number | null | undefined) => (p === null || p === undefined ? '-' : p === 0 ? '0' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function scoresTable(scores: Record<string, ScoreSummary>, comparison?: Comparison): string {
  const headers = ['score', 'evaluator', 'count', 'mean', 'pass rate', 'errors', 'n/a'];
  if (comparison) headers.push('base mean', 'base pass', 'p(mean)', 'p(pass)', 'verdict');
  const rows = Object.entries(scores).map(([name, s]) => {
    const row = [name, s.evaluator, String(s.count), num(s.mean), pct(s.pass_rate), String(s.errors), String(s.not_applicable)];
    if (comparison) {
      const c = comparison.scores[name];
      if (!c) row.push('-', '-', '-', '-', 'new');
      else row.push(num(c.baseline.mean), pct(c.baseline.pass_rate), pval(c.mean_test.pValue), pval(c.pass_rate_test.pValue), c.regression ? 'REGRESSION' : 'ok');
    }
    return row;
  });
  return table(headers, rows);
}

/**
 * Progress on stderr for long runs: silent for the first second (a short run prints
 * nothing), then at most every `everyMs` on a terminal (one rewritten line), or a plain
 * line per 10 % otherwise (CI logs).
 */
export function progressReporter(opts: { write: (s: string) => void; isTTY: boolean; now?: () => number; everyMs?: number }) {
  const now = opts.now ?? Date.now;
  const started = now();
  let last = 0;
  let lastDecile = 0;
  let shown = false;
  return {
    update(done: number, total: number): void {
      const t = now();
      if (t - started < 1000) return; // short runs stay quiet
      const rate = done / Math.max(0.001, (t - started) / 1000);
      const text = `eval: ${done}/${total} rows (${Math.floor((done / total) * 100)}%), ${rate.toFixed(1)} rows/s`;
      if (opts.isTTY) {
        if (t - last < (opts.everyMs ?? 200) && done < total) return;
        last = t;
        shown = true;
        opts.write(`\r${text}`);
      } else {
        const decile = Math.floor((done / total) * 10);
        if (decile <= lastDecile && done < total) return;
        lastDecile = decile;
        shown = true;
        opts.write(`${text}\n`);
      }
    },
    finish(): void {
      if (shown && opts.isTTY) opts.write('\n');
    },
  };
}
