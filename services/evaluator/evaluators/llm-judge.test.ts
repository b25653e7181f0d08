import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PipelineError } from '../../core/errors.ts';
import { completion, scoreReply, startJudgeServer, type JudgeServer, type Reply, type RecordedRequest } from '../../../test/support/judge/fake-judge-server.ts';
import { parseRules } from '../rules/load.ts';
import type { LlmJudgeConfig } from '../rules/evaluator-schema.ts';
import { createLlmJudge, type LlmJudge } from './llm-judge.ts';
import { evalInput } from '../../../test/support/evaluator/eval-input.ts';

const servers: JudgeServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(reply: (req: RecordedRequest) => Reply): Promise<JudgeServer> {
  const s = await startJudgeServer(reply);
  servers.push(s);
  return s;
}

/** A judge built from a rules-file evaluator object (defaults as in production), fast retries. */
function judge(baseUrl: string, options: Record<string, unknown> = {}, apiKey?: string): LlmJudge {
  const file = parseRules({
    version: 1,
    rules: [{ name: 'helpful', sample_rate: 1, evaluator: { type: 'llm_judge', rubric: 'Is it helpful?', retry_base_ms: 5, max_retry_delay_ms: 2_000, ...options } }],
  });
  return createLlmJudge(file.rules[0].evaluator as LlmJudgeConfig, 'helpful', { baseUrl, model: 'gpt-4o-mini', apiKey });
}

describe('llm_judge against a local OpenAI-compatible server', () => {
  it('sends the rubric prompt and reads the score, reason and usage', async () => {
    const s = await server(() => scoreReply(0.8, 'answers the question', { prompt_tokens: 1200, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 1000 } }));
    const r = await judge(s.baseUrl, { threshold: 0.7 }, 'sk-test-123').evaluate(evalInput({ output: 'Use the orders page.' }));
    assert.deepEqual([r.status, r.value, r.passed, r.reason, r.name, r.evaluator], ['ok', 0.8, true, 'answers the question', 'helpful', 'llm_judge']);
    assert.deepEqual(
      { ...r.call, started_at: 0, latency_ms: 0 },
      { model: 'gpt-4o-mini', provider: null, started_at: 0, latency_ms: 0, attempts: 1, status: 'ok', error_type: null, finish_reason: 'stop', input_tokens: 1200, cached_input_tokens: 1000, output_tokens: 40, reasoning_tokens: 0, usage_estimated: false },
    );
    const req = s.requests[0];
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, 'Bearer sk-test-123');
    assert.equal(req.body.model, 'gpt-4o-mini');
    assert.deepEqual(req.body.response_format, { type: 'json_object' });
    assert.equal(req.body.temperature, 0);
    const messages = req.body.messages as { role: string; content: string }[];
    assert.match(messages[0].content, /"score"/);
    assert.match(messages[1].content, /## Rubric\nIs it helpful\?/);
    assert.match(messages[1].content, /## Response to evaluate\nUse the orders page\./);
  });

  it('without usage from the server, estimates tokens rather than costing $0', async () => {
    const s = await server(() => scoreReply(0.3, 'meh', null));
    const r = await judge(s.baseUrl).evaluate(evalInput());
    assert.equal(r.passed, false);
    assert.equal(r.call!.usage_estimated, true);
    assert.ok(r.call!.input_tokens > 10 && r.call!.output_tokens > 0);
  });

  it('on 429 waits as long as Retry-After says, then succeeds', async () => {
    const s = await server((req) => (req.n === 1 ? { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'rate limited' } } } : scoreReply(1)));
    const r = await judge(s.baseUrl).evaluate(evalInput());
    assert.equal(r.status, 'ok');
    assert.equal(r.call!.attempts, 2);
    // Lower bound only: the retry came no earlier than the server asked (backoff alone would be ~5 ms).
    assert.ok(s.requests[1].at - s.requests[0].at >= 900, `retried after ${s.requests[1].at - s.requests[0].at} ms`);
  });

  it('retries 5xx with backoff and succeeds; gives an error result after max_retries', async () => {
    const flaky = await server((req) => (req.n <= 2 ? { status: req.n === 1 ? 500 : 502, text: 'upstream broke' } : scoreReply(0.6)));
    const ok = await judge(flaky.baseUrl).evaluate(evalInput());
    assert.deepEqual([ok.status, ok.value, ok.call!.attempts], ['ok', 0.6, 3]);

    const down = await server(() => ({ status: 503, text: 'overloaded' }));
    const err = await judge(down.baseUrl, { max_retries: 2 }).evaluate(evalInput());
    assert.deepEqual([err.status, err.value, err.passed], ['error', null, null]);
    assert.equal(err.reason, 'judge call failed: HTTP 503: overloaded (after 3 attempts)');
    assert.deepEqual([err.call!.status, err.call!.error_type, err.call!.attempts], ['error', 'http_503', 3]);
    assert.equal(down.requests.length, 3, 'never retried forever');
  });

  it('times out a slow answer, retries, and records the timeout as an error result', async () => {
    const s = await server(() => 'hang');
    const r = await judge(s.baseUrl, { timeout_ms: 150, max_retries: 1 }).evaluate(evalInput());
    assert.equal(r.status, 'error');
    assert.equal(r.reason, 'judge call failed: no answer within 150 ms (after 2 attempts)');
    assert.equal(r.call!.error_type, 'timeout');
    assert.equal(s.requests.length, 2);
  });

  it('a slow answer within the timeout is fine', async () => {
    const s = await server(() => ({ ...(scoreReply(0.9) as object), delayMs: 100 }));
    assert.equal((await judge(s.baseUrl, { timeout_ms: 5_000 }).evaluate(evalInput())).value, 0.9);
  });

  it('malformed answers are error results, not retried', async () => {
    const prose = await server(() => ({ json: completion('The response is quite helpful.') }));
    const r1 = await judge(prose.baseUrl).evaluate(evalInput());
    assert.equal(r1.status, 'error');
    assert.match(r1.reason!, /^judge answer is not JSON/);
    assert.equal(r1.call!.status, 'ok', 'the call itself worked (and cost tokens)');
    assert.equal(prose.requests.length, 1);

    const notJson = await server(() => ({ status: 200, text: '<html>gateway</html>' }));
    const r2 = await judge(notJson.baseUrl).evaluate(evalInput());
    assert.match(r2.reason!, /body that is not JSON/);
    assert.equal(notJson.requests.length, 1);
  });

  it('a 4xx other than 408/429 fails at once, and never shows the API key', async () => {
    const s = await server(() => ({ status: 401, json: { error: { message: 'Incorrect API key provided' } } }));
    const r = await judge(s.baseUrl, {}, 'sk-very-secret').evaluate(evalInput());
    assert.equal(r.status, 'error');
    assert.match(r.reason!, /HTTP 401/);
    assert.ok(!JSON.stringify(r).includes('sk-very-secret'));
    assert.equal(s.requests.length, 1);
  });

  it('drops response_format when the server rejects it, and remembers', async () => {
    const s = await server((req) => (req.body.response_format ? { status: 400, json: { error: { message: "Unsupported parameter: 'response_format'" } } } : scoreReply(0.5)));
    const j = judge(s.baseUrl);
    assert.equal((await j.evaluate(evalInput())).value, 0.5);
    assert.equal((await j.evaluate(evalInput())).value, 0.5);
    assert.deepEqual(s.requests.map((r) => 'response_format' in r.body), [true, false, false]);
  });

  it('network errors are retried, then an error result', async () => {
    const s = await startJudgeServer(() => scoreReply(1));
    const url = s.baseUrl;
    await s.close(); // nothing listens there any more
    const r = await judge(url, { max_retries: 1 }).evaluate(evalInput());
    assert.equal(r.status, 'error');
    assert.equal(r.call!.error_type, 'network');
    assert.equal(r.call!.attempts, 2);
  });

  it('holds at most `concurrency` calls in flight', async () => {
    const s = await server(() => ({ ...(scoreReply(0.7) as object), delayMs: 30 }));
    const j = judge(s.baseUrl, { concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => j.evaluate(evalInput({ trace_id: `t${i}` }))));
    assert.ok(results.every((r) => r.value === 0.7));
    assert.equal(s.requests.length, 8);
    assert.ok(s.maxInFlight() <= 2, `max in flight ${s.maxInFlight()}`);
  });

  it('a shutdown (aborted signal) throws instead of recording an error result', async () => {
    const s = await server(() => 'hang');
    const ac = new AbortController();
    const pending = judge(s.baseUrl, { timeout_ms: 60_000 }).evaluate(evalInput(), { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(pending, (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_SHUTTING_DOWN');
  });
});
