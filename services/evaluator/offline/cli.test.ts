import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../../core/wiring.ts';
import { scoreReply, startJudgeServer, type JudgeServer } from '../../../test/support/judge/fake-judge-server.ts';
import { runEvalCli, type EvalReport } from './cli.ts';

const EXAMPLES = resolve(REPO_ROOT, 'schemas/evals');
const RULES = join(EXAMPLES, 'evals.example.json');
const DATASET = join(EXAMPLES, 'example-dataset.jsonl');
const CANDIDATE = join(EXAMPLES, 'example-dataset.candidate.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'eval-cli-'));
const servers: JudgeServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runEvalCli(args, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), stderrIsTTY: false, env, cwd: dir });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('npm run eval', () => {
  it('prints a table per score name and writes a JSON report', async () => {
    const r = await cli(['--dataset', DATASET, '--rules', RULES, '--out', 'base.json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^score\s+evaluator\s+count\s+mean\s+pass rate\s+errors\s+n\/a$/m);
    assert.match(r.stdout, /^support_no_credentials\s+forbidden_terms\s+6\s+0\.833\s+83\.3%\s+0\s+0$/m);
    assert.match(r.stderr, /rule helpfulness_judge skipped: llm_judge without a base URL/);
    const report = JSON.parse(readFileSync(join(dir, 'base.json'), 'utf8')) as EvalReport;
    assert.equal(report.rows, 30);
    assert.equal(report.scores.finish_reason_stop.count, 30);
    assert.equal(report.scores.finish_reason_stop.pass_n, 30);
    assert.ok(report.failures.some((f) => f.score === 'support_no_credentials' && f.reason === 'contains "password"'));
  });

  it('with --baseline: exit 0 without a regression, exit 1 naming each significant one', async () => {
    assert.equal((await cli(['--dataset', DATASET, '--rules', RULES, '--out', 'base2.json'])).code, 0);
    const same = await cli(['--dataset', DATASET, '--rules', RULES, '--baseline', 'base2.json']);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /no significant regression/);

    const worse = await cli(['--dataset', CANDIDATE, '--rules', RULES, '--baseline', 'base2.json', '--out', 'cand.json']);
    assert.equal(worse.code, 1);
    assert.match(worse.stderr, /^REGRESSION support_no_credentials: pass rate 0\.833 → 0\.167 \(z-test p = 0\.010\)/m);
    assert.match(worse.stderr, /^REGRESSION summary_concise: /m);
    assert.match(worse.stderr, /^3 significant regression\(s\)/m);
    assert.doesNotMatch(worse.stderr, /REGRESSION invoice_mentions_total/);
    const report = JSON.parse(readFileSync(join(dir, 'cand.json'), 'utf8')) as EvalReport;
    assert.deepEqual(report.comparison?.regressions, ['support_no_credentials', 'summary_concise', 'summary_grounded']);
  });

  it('bad input is exit 2 with the line number, the field, or the usage', async () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"input":"q","output":"a"}\n{"input":"q","output":null}\n{oops\n');
    const bad = await cli(['--dataset', 'bad.jsonl', '--rules', RULES]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /line 2: output: expected a string/);
    assert.match(bad.stderr, /line 3: not valid JSON/);
    const usage = await cli(['--rules', RULES]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--dataset is required\nusage: npm run eval/);
    assert.equal((await cli(['--dataset', DATASET, '--rules', RULES, '--bogus'])).code, 2);
    writeFileSync(join(dir, 'not-a-report.json'), '{"hello": 1}');
    const baseline = await cli(['--dataset', DATASET, '--rules', RULES, '--baseline', 'not-a-report.json']);
    assert.equal(baseline.code, 2);
    assert.match(baseline.stderr, /is not an eval report: version: expected a report of version 1/);
    writeFileSync(join(dir, 'rules.json'), JSON.stringify({ version: 1, rules: [{ name: 'x', sample_rate: 1, evaluator: { type: 'regex', pattern: '(' } }] }));
    const rules = await cli(['--dataset', DATASET, '--rules', 'rules.json']);
    assert.equal(rules.code, 2);
    assert.match(rules.stderr, /rules\[0\]\.evaluator\.pattern: invalid regex/);
  });

  it('runs the judge offline when JUDGE_BASE_URL is set and reports its cost', async () => {
    const judge = await startJudgeServer(() => scoreReply(0.9));
    servers.push(judge);
    const r = await cli(['--dataset', DATASET, '--rules', RULES, '--out', 'judged.json', '--concurrency', '3'], { JUDGE_BASE_URL: judge.baseUrl, JUDGE_API_KEY: 'sk-offline' });
    assert.equal(r.code, 0, r.stderr);
    // Every support-chat and code-assist row in production: sampling does not apply offline.
    assert.equal(judge.requests.length, 12);
    assert.ok(judge.requests.every((q) => q.headers.authorization === 'Bearer sk-offline'));
    const report = JSON.parse(readFileSync(join(dir, 'judged.json'), 'utf8')) as EvalReport;
    assert.equal(report.scores.helpfulness_judge.mean, 0.9);
    assert.deepEqual(report.judge, { calls: 12, cost_usd: 0.00216, unpriced_calls: 0 });
    assert.match(r.stdout, /12 judge calls \(\$0\.002160\)/);
  });

  it('as a real process: exit code 1 on a regression (so it can gate CI)', () => {
    assert.equal((runScript(['--dataset', DATASET, '--rules', RULES, '--out', join(dir, 'p-base.json')])).status, 0);
    const r = runScript(['--dataset', CANDIDATE, '--rules', RULES, '--baseline', join(dir, 'p-base.json')]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /REGRESSION support_no_credentials/);
  });
});

function runScript(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/eval.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, JUDGE_BASE_URL: '' } });
}
