import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../core/wiring.ts';
import { loadPriceTable } from '../../core/pricing/price-table.ts';
import { createPricer } from '../../core/pricing/pricer.ts';
import { compileRules } from '../rules/compile.ts';
import { loadRulesFile } from '../rules/load.ts';
import { compareReports, type Comparison } from './compare.ts';
import { parseDataset } from './dataset.ts';
import { progressReporter, scoresTable } from './format.ts';
import { baselineSchema, REPORT_VERSION, type ScoreSummary } from './report.ts';
import { runOffline } from './run.ts';

/**
 * `npm run eval -- --dataset rows.jsonl --rules evals.json [--baseline report.json]
 *  [--out report.json] [--concurrency N] [--alpha 0.05]`
 * Exit codes: 0 done (no significant regression), 1 significant regression vs the
 * baseline, 2 bad usage or input (arguments, rules, dataset, baseline).
 */
export const USAGE = `usage: npm run eval -- --dataset FILE.jsonl --rules evals.json [--baseline report.json] [--out report.json] [--concurrency N] [--alpha 0.05]
  rows: {"input": "...", "output": "...", "context"?: "...", "expected"?: "...", "feature"?: "...", "prompt_version"?: "..."}
  judge rules use JUDGE_BASE_URL / JUDGE_MODEL and the key env var they name; budgets and sampling do not apply offline
  exit: 0 ok, 1 significant regression vs --baseline, 2 bad usage or input`;

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stderrIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  fetch?: typeof fetch;
}

export interface EvalReport {
  version: number;
  created_at: string;
  dataset: string;
  rows: number;
  rules_file: string;
  skipped_rules: { name: string; reason: string }[];
  judge: { calls: number; cost_usd: number; unpriced_calls: number };
  scores: Record<string, ScoreSummary>;
  /** Rows that failed or errored (at most 1000), to see what went wrong. */
  failures: { line: number; id: string; score: string; status: string; value: number | null; reason: string | null }[];
  comparison?: Comparison & { baseline: string };
}

class UsageError extends Error {}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      dataset: { type: 'string' },
      rules: { type: 'string' },
      baseline: { type: 'string' },
      out: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      alpha: { type: 'string', default: '0.05' },
      help: { type: 'boolean', default: false },
    },
  });
  const concurrency = Number(values.concurrency);
  const alpha = Number(values.alpha);
  if (values.help) return null;
  if (!values.dataset) throw new UsageError('--dataset is required');
  if (!values.rules) throw new UsageError('--rules is required');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError('--concurrency: expected a whole number from 1 to 256');
  if (!(alpha > 0 && alpha < 1)) throw new UsageError('--alpha: expected a number between 0 and 1');
  return { dataset: values.dataset, rules: values.rules, baseline: values.baseline, out: values.out, concurrency, alpha };
}

export async function runEvalCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const opts = options(argv);
    if (opts === null) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const rulesPath = resolve(io.cwd, opts.rules);
    const compiled = compileRules(loadRulesFile(rulesPath), {
      env: io.env,
      judge: { baseUrl: io.env.JUDGE_BASE_URL || undefined, model: io.env.JUDGE_MODEL || 'gpt-4o-mini' },
      fetch: io.fetch,
      source: rulesPath,
    });
    const datasetPath = resolve(io.cwd, opts.dataset);
    let content: string;
    try {
      content = readFileSync(datasetPath, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read dataset ${datasetPath}: ${(err as Error).message}`);
    }
    const rows = parseDataset(content, datasetPath);
    let baseline: { path: string; scores: Record<string, ScoreSummary> } | null = null;
    if (opts.baseline) {
      const path = resolve(io.cwd, opts.baseline);
      const parsed = baselineSchema.safeParse(readJson(path, 'baseline'));
      if (!parsed.success) throw new UsageError(`baseline ${path} is not an eval report: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`);
      baseline = { path, scores: parsed.data.scores };
    }
    // Judge calls are priced for the report only when a judge rule is active.
    const pricer = compiled.rules.some((r) => r.judge)
      ? createPricer(loadPriceTable({ baseFile: resolve(REPO_ROOT, io.env.PRICE_TABLE || 'schemas/pricing/prices.json'), overridesFile: io.env.PRICES_FILE || undefined }))
      : undefined;

    for (const d of compiled.disabled) io.stderr(`rule ${d.name} skipped: ${d.reason}\n`);
    const progress = progressReporter({ write: io.stderr, isTTY: io.stderrIsTTY });
    const result = await runOffline({ rows, rules: compiled.rules, concurrency: opts.concurrency, pricer, onProgress: progress.update });
    progress.finish();

    const report: EvalReport = {
      version: REPORT_VERSION,
      created_at: new Date().toISOString(),
      dataset: datasetPath,
      rows: rows.length,
      rules_file: rulesPath,
      skipped_rules: compiled.disabled,
      judge: result.judge,
      scores: result.scores,
      failures: result.rows
        .flatMap((r) => r.results.filter((x) => x.status === 'error' || x.passed === false).map((x) => ({ line: r.line, id: r.id, score: x.name, status: x.status, value: x.value, reason: x.reason })))
        .slice(0, 1000),
    };
    if (baseline) report.comparison = { baseline: baseline.path, ...compareReports(baseline.scores, result.scores, opts.alpha) };

    io.stdout(`${scoresTable(result.scores, report.comparison)}\n`);
    io.stdout(`\n${rows.length} rows, ${compiled.rules.length} rules`);
    if (result.judge.calls > 0) io.stdout(`, ${result.judge.calls} judge calls ($${result.judge.cost_usd.toFixed(6)}${result.judge.unpriced_calls ? `, ${result.judge.unpriced_calls} unpriced` : ''})`);
    io.stdout('\n');
    if (opts.out) {
      writeFileSync(resolve(io.cwd, opts.out), `${JSON.stringify(report, null, 2)}\n`);
      io.stdout(`report: ${resolve(io.cwd, opts.out)}\n`);
    }
    const c = report.comparison;
    if (c) {
      for (const name of c.missing_in_candidate) io.stderr(`warning: score ${name} is in the baseline but not in this run\n`);
      if (c.regressions.length > 0) {
        for (const name of c.regressions) io.stderr(`REGRESSION ${name}: ${c.scores[name].reasons.join('; ')}\n`);
        io.stderr(`${c.regressions.length} significant regression(s) vs ${c.baseline} (alpha ${c.alpha}; ${c.tests})\n`);
        return 1;
      }
      io.stdout(`no significant regression vs ${c.baseline} (alpha ${c.alpha})\n`);
    }
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`eval: ${message}\n`);
    if (err instanceof UsageError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) io.stderr(`${USAGE}\n`);
    return 2;
  }
}
