import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { createPricer } from '../../core/pricing/pricer.ts';
import { realTable, repoRoot } from '../../../test/support/pricing/price-tables.ts';
import type { EvalInput } from '../types.ts';
import { compileRules } from './compile.ts';
import { compileGlob } from '../../core/glob.ts';
import { loadRulesFile, parseRules, RulesConfigError } from './load.ts';

const EXAMPLE = resolve(repoRoot, 'schemas/evals/evals.example.json');
const judgeDefaults = { model: 'gpt-4o-mini' };

function issuesOf(json: unknown): string[] {
  try {
    parseRules(json);
  } catch (err) {
    assert.ok(err instanceof RulesConfigError);
    return [...err.issues];
  }
  assert.fail('expected the rules to be rejected');
}

const input = (over: Partial<EvalInput> = {}): EvalInput => ({
  trace_id: 't1',
  timestamp: Date.UTC(2026, 0, 1),
  feature: 'support-chat',
  model: 'gpt-4o',
  prompt_version: 'v1',
  environment: 'production',
  input: 'question',
  output: 'answer',
  context: null,
  expected: null,
  finish_reason: 'stop',
  metadata: {},
  ...over,
});

describe('glob filters', () => {
  it('match * and ? anchored, literally otherwise, any of a list', () => {
    const m = compileGlob(['gpt-4o*', 'claude-?-x', 'a.b']);
    assert.ok(m('gpt-4o') && m('gpt-4o-mini') && m('claude-3-x') && m('a.b'));
    assert.ok(!m('xgpt-4o') && !m('claude-33-x') && !m('aXb'));
    assert.ok(compileGlob(undefined)('anything'));
    assert.ok(compileGlob('*')(''));
    assert.ok(compileGlob('')('') && !compileGlob('')('v1'));
  });
});

describe('rules file validation', () => {
  it('the shipped example is valid; its judge rule is off without a judge URL and on with one', () => {
    const file = loadRulesFile(EXAMPLE);
    assert.equal(file.version, 1);
    const off = compileRules(file, { env: {}, judge: judgeDefaults });
    assert.deepEqual(off.disabled.map((d) => d.name), ['helpfulness_judge']);
    assert.ok(off.rules.length >= 6);
    const on = compileRules(file, { env: {}, judge: { ...judgeDefaults, baseUrl: 'http://127.0.0.1:9/v1' }, pricer: createPricer(realTable()) });
    assert.equal(on.disabled.length, 0);
    assert.ok(on.rules.some((r) => r.judge !== null));
  });

  it('names the exact path of every problem at once', () => {
    const issues = issuesOf({
      version: 1,
      rules: [
        { name: 'ok', sample_rate: 0.5, evaluator: { type: 'json_valid' } },
        { name: 'rate', sample_rate: 2, evaluator: { type: 'nope' } },
        { name: 'bad-regex', sample_rate: 1, evaluator: { type: 'regex', pattern: '([' }, filter: { feature: [] }, surprise: 1 },
        { name: 'key', sample_rate: 0.1, evaluator: { type: 'llm_judge', rubric: 'r', api_key: 'sk-secret' } },
        { name: 'budget', sample_rate: 0.1, evaluator: { type: 'max_length' }, budget_usd_per_day: 2 },
      ],
    });
    assert.deepEqual(issues, [
      'rules[1].sample_rate: must be <= 1',
      'rules[1].evaluator.type: expected an object with "type" one of json_valid, json_schema, regex, contains, forbidden_terms, max_length, finish_reason, groundedness, llm_judge',
      'rules[2].filter.feature: an empty list would match nothing',
      'rules[2].evaluator.pattern: invalid regex: Invalid regular expression: /([/: Unterminated character class',
      'rules[2].surprise: unknown field',
      'rules[3].evaluator.api_key: do not put API keys in the rules file: name an environment variable with api_key_env',
      'rules[4].evaluator.max_chars: set max_chars, max_words or both',
      "rules[4].budget_usd_per_day: only llm_judge rules have a cost (this rule's evaluator is max_length)",
    ]);
    assert.ok(!issues.join('\n').includes('sk-secret'), 'a pasted key is never echoed');
  });

  it('rejects an unknown version, bad regex flags, a bad JSON schema and duplicate names', () => {
    assert.deepEqual(issuesOf({ version: 2, rules: [] }), ['version: unsupported version: this build reads version 1']);
    assert.deepEqual(issuesOf({ version: 1, rules: [{ name: 'r', sample_rate: 1, evaluator: { type: 'regex', pattern: 'x', flags: 'g' } }] }), [
      'rules[0].evaluator.flags: flags g and y are not allowed (they make a regex stateful)',
    ]);
    const schemaIssue = issuesOf({ version: 1, rules: [{ name: 'r', sample_rate: 1, evaluator: { type: 'json_schema', schema: { type: 'nope' } } }] });
    assert.match(schemaIssue[0], /^rules\[0\]\.evaluator\.schema: invalid JSON schema: /);
    assert.deepEqual(
      issuesOf({
        version: 1,
        rules: [
          { name: 'a', sample_rate: 1, evaluator: { type: 'json_valid' } },
          { name: 'b', score_name: 'a', sample_rate: 1, evaluator: { type: 'json_valid' } },
          { name: 'a', score_name: 'c', sample_rate: 1, evaluator: { type: 'json_valid' } },
        ],
      }),
      ['rules[1].score_name: score name "a" is already written by rules[0]', 'rules[2].name: duplicate rule name "a" (also rules[0])'],
    );
  });

  it('a file that is not JSON names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evals-'));
    const file = join(dir, 'evals.json');
    writeFileSync(file, '{"version": 1, "rules": [');
    assert.throws(() => loadRulesFile(file), (err: Error) => err instanceof RulesConfigError && err.message.includes(file) && /not valid JSON/.test(err.message));
    assert.throws(() => loadRulesFile(join(dir, 'missing.json')), /cannot read/);
  });

  it('a budgeted judge with an unpriced model refuses to start, naming the field', () => {
    const file = parseRules({
      version: 1,
      rules: [{ name: 'j', sample_rate: 1, evaluator: { type: 'llm_judge', rubric: 'r', model: 'my-local-llama' }, budget_usd_per_hour: 1 }],
    });
    const deps = { env: {}, judge: { ...judgeDefaults, baseUrl: 'http://127.0.0.1:9/v1' }, pricer: createPricer(realTable()) };
    assert.throws(() => compileRules(file, deps), (err: Error) => err instanceof RulesConfigError && /rules\[0\]\.evaluator\.model: no price for model "my-local-llama"/.test(err.message));
    // price_as makes it priceable.
    const priced = parseRules({
      version: 1,
      rules: [{ name: 'j', sample_rate: 1, evaluator: { type: 'llm_judge', rubric: 'r', model: 'my-local-llama', price_as: 'gpt-4o-mini' }, budget_usd_per_hour: 1 }],
    });
    assert.equal(compileRules(priced, deps).rules.length, 1);
  });
});

describe('compiled rule filters', () => {
  const file = parseRules({
    version: 1,
    rules: [
      { name: 'f', sample_rate: 1, filter: { feature: 'support-*', model: ['gpt-4o', 'claude-*'], environment: 'production', prompt_version: ['v2', 'v3'] }, evaluator: { type: 'json_valid' } },
      { name: 'g', sample_rate: 1, include_errors: true, evaluator: { type: 'groundedness' } },
    ],
  });
  const [f, g] = compileRules(file, { env: {}, judge: judgeDefaults }).rules;

  it('match every dimension, and skip error traces unless include_errors', () => {
    assert.ok(f.matches(input({ prompt_version: 'v2' }), 'ok'));
    assert.ok(!f.matches(input({ prompt_version: 'v1' }), 'ok'));
    assert.ok(!f.matches(input({ prompt_version: 'v2', model: 'gpt-4o-mini' }), 'ok'));
    assert.ok(!f.matches(input({ prompt_version: 'v2', environment: 'staging' }), 'ok'));
    assert.ok(!f.matches(input({ prompt_version: 'v2' }), 'error'));
    assert.ok(g.matches(input(), 'error'));
  });

  it('an input lacking a field the evaluator needs is not applicable', () => {
    assert.ok(!g.applicable(input()), 'groundedness against context needs a context');
    assert.ok(g.applicable(input({ context: 'facts' })));
    assert.ok(!f.applicable(input({ output: null })));
  });
});
