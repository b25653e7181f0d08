import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareReports } from './compare.ts';
import { DatasetError, parseDataset } from './dataset.ts';
import { progressReporter } from './format.ts';
import { ScoreAccumulator } from './report.ts';

const ok = (value: number, passed: boolean | null = value >= 0.5) => ({ name: 's', evaluator: 'x', status: 'ok' as const, value, passed, reason: null });

describe('dataset parsing', () => {
  it('reads rows, skips blank lines, and maps them to eval inputs', () => {
    const rows = parseDataset('{"input":"q","output":"a","feature":"chat","id":7}\n\n{"input":"q2","output":"a2","context":"c"}\n');
    assert.equal(rows.length, 2);
    assert.deepEqual([rows[0].line, rows[0].input.trace_id, rows[0].dims], [1, '7', { feature: 'chat' }]);
    assert.deepEqual([rows[1].line, rows[1].input.trace_id, rows[1].input.context, rows[1].input.expected, rows[1].dims], [3, 'line-3', 'c', null, {}]);
  });

  it('names the line and field of every bad row', () => {
    const bad = ['{"input":"q","output":"a"}', '{"input":"q"}', 'not json', '{"input":"q","output":5,"ouput":"typo"}'].join('\n');
    assert.throws(
      () => parseDataset(bad, 'rows.jsonl'),
      (err: unknown) => {
        assert.ok(err instanceof DatasetError);
        assert.equal(err.issues[0], 'line 2: output: expected a string');
        assert.match(err.issues[1], /^line 3: not valid JSON/);
        assert.deepEqual(err.issues.slice(2), ['line 4: output: expected a string', 'line 4: ouput: unknown field']);
        assert.match(err.message, /^invalid dataset rows\.jsonl:/);
        return true;
      },
    );
    assert.throws(() => parseDataset('\n\n'), /no rows/);
  });
});

describe('score accumulator', () => {
  it('computes mean, sample variance, pass rate; errors and n/a are counted apart', () => {
    const a = new ScoreAccumulator('r', 'x');
    for (const v of [2, 4, 4, 4, 5, 5, 7, 9]) a.add(ok(v / 10));
    a.add({ ...ok(0), status: 'error', value: null, passed: null });
    a.notApplicableRow();
    const s = a.summary();
    assert.deepEqual([s.count, s.errors, s.not_applicable, s.n, s.passed, s.pass_n], [9, 1, 1, 8, 4, 8]);
    assert.ok(Math.abs(s.mean! - 0.5) < 1e-12);
    assert.ok(Math.abs(s.variance! - 32 / 7 / 100) < 1e-12, `variance ${s.variance}`);
    assert.equal(s.pass_rate, 0.5);
  });
});

describe('report comparison', () => {
  const summary = (passed: number, n: number, mean: number, variance: number) => ({ rule: 'r', evaluator: 'x', count: n, errors: 0, not_applicable: 0, n, mean, variance, passed, pass_n: n, pass_rate: passed / n });

  it('flags a significant drop and names the test; a small or upward change is not flagged', () => {
    const c = compareReports(
      { a: summary(60, 100, 0.6, 0.24), b: summary(60, 100, 0.6, 0.24), gone: summary(1, 2, 0.5, 0.5) },
      { a: summary(45, 100, 0.45, 0.25), b: summary(57, 100, 0.57, 0.25), fresh: summary(1, 1, 1, 0) },
    );
    assert.deepEqual(c.regressions, ['a']);
    assert.ok(Math.abs(c.scores.a.pass_rate_test.pValue! - 0.016836034428172927) < 1e-12);
    assert.match(c.scores.a.reasons[0], /^pass rate 0\.600 → 0\.450 \(z-test p = 0\.017\)$/);
    assert.equal(c.scores.b.regression, false);
    assert.deepEqual([c.missing_in_candidate, c.new_in_candidate], [['gone'], ['fresh']]);
  });
});

describe('progress', () => {
  it('is silent for short runs, then reports every 10 % on a non-terminal', () => {
    let t = 0;
    const lines: string[] = [];
    const p = progressReporter({ write: (s) => lines.push(s), isTTY: false, now: () => t });
    p.update(1, 100);
    assert.deepEqual(lines, []);
    t = 2000;
    for (let i = 2; i <= 100; i++) p.update(i, 100);
    p.finish();
    assert.equal(lines.length, 10);
    assert.equal(lines[9], 'eval: 100/100 rows (100%), 50.0 rows/s\n');
  });

  it('rewrites one line on a terminal and ends it', () => {
    let t = 5000;
    const out: string[] = [];
    const p = progressReporter({ write: (s) => out.push(s), isTTY: true, now: () => t, everyMs: 100 });
    t = 6500;
    p.update(5, 10);
    p.update(6, 10); // within everyMs: skipped
    t = 6700;
    p.update(10, 10);
    p.finish();
    assert.deepEqual(out.map((s) => s.slice(0, 18)), ['\reval: 5/10 rows (', '\reval: 10/10 rows ', '\n']);
  });
});
