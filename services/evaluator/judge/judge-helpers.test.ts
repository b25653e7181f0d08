import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBudgetLedger } from './budget.ts';
import { extractUsage, firstJsonObject, parseJudgeContent } from './parse.ts';
import { isRetryableStatus } from './retry.ts';
import { createSemaphore } from './semaphore.ts';

const NOW = Date.UTC(2026, 0, 1, 10, 30);

describe('judge retry decisions', () => {
  it('retries 408, 429 and 5xx only', () => {
    assert.deepEqual([408, 429, 500, 502, 503].map(isRetryableStatus), [true, true, true, true, true]);
    assert.deepEqual([400, 401, 403, 404, 422].map(isRetryableStatus), [false, false, false, false, false]);
  });

});

describe('judge answer parsing', () => {
  it('reads plain JSON, fenced JSON, JSON inside prose, and numeric strings', () => {
    assert.deepEqual(parseJudgeContent('{"score": 0.75, "reason": "ok"}'), { ok: true, score: 0.75, reason: 'ok' });
    assert.deepEqual(parseJudgeContent('```json\n{"score": 1, "reason": "fine"}\n```'), { ok: true, score: 1, reason: 'fine' });
    assert.deepEqual(parseJudgeContent('Here you go: {"reason": "has } brace", "score": "0.2"} thanks'), { ok: true, score: 0.2, reason: 'has } brace' });
    assert.deepEqual(parseJudgeContent('{"score": 0}'), { ok: true, score: 0, reason: null });
  });

  it('rejects answers without a usable score', () => {
    for (const bad of ['', 'looks good to me', '{"score": 7}', '{"rating": 0.5}', '[0.5]', '{"score": "high"}', null]) {
      const r = parseJudgeContent(bad);
      assert.equal(r.ok, false, String(bad));
    }
    assert.match((parseJudgeContent('{"score": 7}') as { error: string }).error, /outside 0\.\.1/);
    assert.equal(firstJsonObject('{broken {"a": 1}'), '{"a": 1}');
  });

  it('extracts usage with cached and reasoning tokens, clamped to their totals', () => {
    assert.deepEqual(
      extractUsage({ usage: { prompt_tokens: 100, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 10 } } }),
      { input_tokens: 100, cached_input_tokens: 60, output_tokens: 30, reasoning_tokens: 10 },
    );
    assert.deepEqual(extractUsage({ usage: { prompt_tokens: 5, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 9 } } })?.cached_input_tokens, 5);
    assert.equal(extractUsage({}), null);
    assert.equal(extractUsage({ usage: { total_tokens: 3 } }), null);
  });
});

describe('budget ledger', () => {
  it('pauses at the hourly cap, reports it once per window, and resumes in the next hour', () => {
    const b = createBudgetLedger({ perHourUsd: 0.01 });
    assert.equal(b.exhausted(NOW), null);
    b.record(0.006, NOW);
    assert.equal(b.exhausted(NOW), null);
    b.record(0.006, NOW + 1000);
    const ex = b.exhausted(NOW + 2000)!;
    assert.deepEqual([ex.window, ex.capUsd, ex.firstInWindow, ex.resetsAt], ['hour', 0.01, true, Date.UTC(2026, 0, 1, 11)]);
    assert.equal(b.exhausted(NOW + 3000)!.firstInWindow, false, 'the warning is logged once per window');
    assert.equal(b.snapshot(NOW + 3000).exhausted, true);
    assert.equal(b.exhausted(Date.UTC(2026, 0, 1, 11)), null, 'a new hour starts over');
    assert.equal(b.snapshot(Date.UTC(2026, 0, 1, 11)).hour.spent_usd, 0);
  });

  it('the daily cap holds across hours', () => {
    const b = createBudgetLedger({ perHourUsd: 1, perDayUsd: 1.5 });
    b.record(0.9, NOW);
    b.record(0.7, NOW + 3_600_000);
    const ex = b.exhausted(NOW + 3_600_000)!;
    assert.equal(ex.window, 'day');
    assert.equal(ex.resetsAt, Date.UTC(2026, 0, 2));
    assert.equal(b.exhausted(Date.UTC(2026, 0, 2, 0, 0, 1)), null);
  });
});

describe('semaphore', () => {
  it('admits at most N holders and hands slots over in order', async () => {
    const s = createSemaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const w3 = s.acquire().then((r) => (order.push(3), r));
    const w4 = s.acquire().then((r) => (order.push(4), r));
    assert.equal(s.active(), 2);
    assert.equal(s.waiting(), 2);
    r1();
    r1(); // a second release of the same slot is ignored
    const r3 = await w3;
    assert.equal(s.waiting(), 1);
    r2();
    const r4 = await w4;
    assert.deepEqual(order, [3, 4]);
    r3();
    r4();
    assert.equal(s.active(), 0);
  });
});
