import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { silentLogger } from '../core/logger.ts';
import { parseTraceEvent } from '../core/schema/trace-event.ts';
import { createPricer } from '../core/pricing/pricer.ts';
import { realTable } from '../../test/support/pricing/price-tables.ts';
import { scoreReply, startJudgeServer, type JudgeServer } from '../../test/support/judge/fake-judge-server.ts';
import { JUDGE_FEATURE, scoreId } from './records.ts';
import { parseRules } from './rules/load.ts';
import { rateSampled } from './sampling.ts';
import { createEvaluatorService, type EvaluatorServiceDeps } from './service.ts';
import { capturingLogger, collect, publishTraces, TOPICS, traceEvent, waitFor } from '../../test/support/evaluator/service-harness.ts';

const registry = loadAvroRegistry();
const pricer = createPricer(realTable());
const servers: JudgeServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

function service(over: Partial<EvaluatorServiceDeps> & Pick<EvaluatorServiceDeps, 'bus' | 'rules'>) {
  return createEvaluatorService({ registry, pricer, log: silentLogger(), topics: TOPICS, group: 'llm-evaluator', ...over });
}

const deterministicRules = parseRules({
  version: 1,
  rules: [
    { name: 'no_password', sample_rate: 1, filter: { feature: 'support-chat' }, evaluator: { type: 'forbidden_terms', terms: ['password'] } },
    { name: 'half_finish', sample_rate: 0.5, stratum_min_per_hour: 0, evaluator: { type: 'finish_reason' } },
    { name: 'code_only', sample_rate: 1, filter: { feature: 'code-assist' }, evaluator: { type: 'max_length', max_chars: 10 } },
  ],
});

describe('evaluator service over the in-process bus', () => {
  it('publishes a score per sampled (rule, trace) with deterministic ids and the trace dimensions; replays give the same ids', async () => {
    const bus = createMemoryBus({ partitions: 2 });
    const out = await collect(bus, registry);
    const svc = service({ bus, rules: deterministicRules });
    await svc.start();
    const events = Array.from({ length: 40 }, (_, i) => traceEvent(i, i === 39 ? { feature: JUDGE_FEATURE } : {}));
    await publishTraces(bus, registry, events);
    const halfSampled = events.slice(0, 39).filter((e) => rateSampled('half_finish', String(e.trace_id), 0.5)).length;
    const expected = 39 + halfSampled;
    await waitFor('scores', () => out.scores.length >= expected && svc.stats().consumed === 40);

    const byId = new Map(out.scores.map((s) => [s.score_id, s]));
    assert.equal(byId.size, expected);
    for (let i = 0; i < 39; i++) {
      const s = byId.get(scoreId('no_password', `trace-${i}`, 'no_password'))!;
      assert.deepEqual(
        [s.trace_id, s.name, s.source, s.rule, s.evaluator, s.passed, s.feature, s.model, s.prompt_version, s.environment, s.trace_ts, s.metadata.sampled_by],
        [`trace-${i}`, 'no_password', 'eval', 'no_password', 'forbidden_terms', i % 2 === 0, 'support-chat', 'gpt-4o', 'v2', 'production', Date.UTC(2026, 0, 1, 12, 0, i % 60), 'rate'],
      );
    }
    const stats = svc.stats();
    assert.equal(stats.judge_traces_skipped, 1, 'eval_judge traces are never evaluated');
    assert.equal(stats.rules.code_only.matched, 0);
    assert.equal(stats.rules.half_finish.sampled_rate, halfSampled);
    assert.equal(stats.scores_published, expected);

    // Replay: the same traces again → the same score_ids (ClickHouse collapses the repeats).
    const firstIds = [...byId.keys()].sort();
    await publishTraces(bus, registry, events);
    await waitFor('replayed scores', () => out.scores.length >= 2 * expected);
    const replayIds = out.scores.slice(expected).map((s) => s.score_id).sort();
    assert.deepEqual(replayIds, firstIds);

    await Promise.all([svc.stop(), out.close()]);
    await bus.close();

    // A fresh process (new bus, new service: no sampling state) samples the same traces.
    const bus2 = createMemoryBus({ partitions: 3 });
    const out2 = await collect(bus2, registry);
    const fresh = service({ bus: bus2, rules: deterministicRules });
    await fresh.start();
    await publishTraces(bus2, registry, events);
    await waitFor('fresh scores', () => fresh.stats().consumed === 40 && out2.scores.length >= expected);
    assert.deepEqual(out2.scores.map((s) => s.score_id).sort(), firstIds);
    await Promise.all([fresh.stop(), out2.close()]);
    await bus2.close();
  });

  it('records judge calls as eval_judge traces and pauses a rule at its budget, visibly', async () => {
    // 1000 prompt + 50 completion tokens of gpt-4o-mini = $0.00018 per call; cap $0.0005 → 3 calls.
    const judge = await startJudgeServer(() => scoreReply(0.9, 'helpful', { prompt_tokens: 1000, completion_tokens: 50 }));
    servers.push(judge);
    const rules = parseRules({
      version: 1,
      rules: [
        {
          name: 'helpful',
          sample_rate: 1,
          evaluator: { type: 'llm_judge', base_url: judge.baseUrl, rubric: 'Helpful?', concurrency: 1, retry_base_ms: 5 },
          budget_usd_per_hour: 0.0005,
        },
      ],
    });
    const bus = createMemoryBus({ partitions: 1 });
    const out = await collect(bus, registry);
    const { log, lines } = capturingLogger();
    const now = Date.UTC(2026, 0, 1, 12, 30);
    const svc = service({ bus, rules, log, now: () => now });
    await svc.start();
    await publishTraces(bus, registry, Array.from({ length: 10 }, (_, i) => traceEvent(i)));
    await waitFor('first batch', () => svc.stats().consumed === 10);
    await publishTraces(bus, registry, Array.from({ length: 5 }, (_, i) => traceEvent(100 + i)));
    await waitFor('second batch', () => svc.stats().consumed === 15);

    assert.equal(judge.requests.length, 3, 'no judge call after the cap');
    assert.equal(out.scores.length, 3);
    assert.ok(out.scores.every((s) => s.value === 0.9 && s.passed === true && s.evaluator === 'llm_judge' && s.metadata.judge_cost_usd === '0.000180000'));
    const stats = svc.stats();
    assert.deepEqual(stats.budget_exhausted, ['helpful']);
    assert.equal(stats.rules.helpful.budget_skipped, 12, '7 skipped in the first batch, all 5 of the second (sampling paused)');
    assert.equal(stats.rules.helpful.budget?.hour.cap_usd, 0.0005);
    assert.equal(stats.rules.helpful.judge_cost_usd, 0.00054);
    const warnings = lines.filter((l) => String(l.msg).startsWith('judge budget exhausted'));
    assert.equal(warnings.length, 1, 'warned once per window, not per trace');
    assert.equal(warnings[0].window, 'hour');

    await waitFor('judge traces', () => out.raw.length === 3);
    for (const s of out.scores) {
      const t = out.raw.find((r) => r.trace_id === s.metadata.judge_trace_id)!;
      const parsed = parseTraceEvent(t);
      assert.ok(parsed.ok);
      assert.deepEqual([parsed.value.feature, parsed.value.model, parsed.value.input_tokens, parsed.value.output_tokens, parsed.value.metadata.scored_trace_id], [JUDGE_FEATURE, 'gpt-4o-mini', 1000, 50, s.trace_id]);
    }
    await Promise.all([svc.stop(), out.close()]);
    await bus.close();
  });

  it('a judge that keeps failing gives error scores (and error judge traces), and the batch moves on', async () => {
    const judge = await startJudgeServer(() => ({ status: 500, text: 'boom' }));
    servers.push(judge);
    const rules = parseRules({
      version: 1,
      rules: [{ name: 'helpful', sample_rate: 1, evaluator: { type: 'llm_judge', base_url: judge.baseUrl, rubric: 'Helpful?', max_retries: 1, retry_base_ms: 1 } }],
    });
    const bus = createMemoryBus({ partitions: 1 });
    const out = await collect(bus, registry);
    const svc = service({ bus, rules });
    await svc.start();
    await publishTraces(bus, registry, [traceEvent(1), traceEvent(2)]);
    await waitFor('error scores', () => out.scores.length === 2 && out.raw.length === 2);
    assert.ok(out.scores.every((s) => s.status === 'error' && s.value === null && /HTTP 500: boom \(after 2 attempts\)/.test(s.reason ?? '')));
    assert.ok(out.raw.every((t) => t.status === 'error' && t.feature === JUDGE_FEATURE));
    assert.equal(judge.requests.length, 4);
    assert.equal(svc.stats().rules.helpful.errors, 2);
    await Promise.all([svc.stop(), out.close()]);
    await bus.close();
  });

  it('delayed rules wait in their own group without holding back immediate ones; parked evals survive a restart', async () => {
    const rules = parseRules({
      version: 1,
      rules: [
        { name: 'now_check', sample_rate: 1, evaluator: { type: 'forbidden_terms', terms: ['password'] } },
        { name: 'later_check', sample_rate: 1, delay_seconds: 30, evaluator: { type: 'finish_reason' } },
      ],
    });
    const bus = createMemoryBus({ partitions: 1 });
    const out = await collect(bus, registry);
    const first = service({ bus, rules, pendingSchedule: '* * * * * *' });
    await first.start();
    await publishTraces(bus, registry, [traceEvent(1), traceEvent(2), traceEvent(3)]);
    await waitFor('immediate scores and parked evals', () => out.scores.length === 3 && first.stats().pending === 3);
    assert.ok(out.scores.every((s) => s.rule === 'now_check'));
    await first.stop(); // before the delay is over: the delayed batch is not committed

    // The restarted service (its clock 60 s later, so the delay is over) gets the batch again.
    const second = service({ bus, rules, pendingSchedule: '* * * * * *', now: () => Date.now() + 60_000 });
    await second.start();
    await waitFor('delayed scores after the restart', () => out.scores.filter((s) => s.rule === 'later_check').length === 3);
    const delayed = out.scores.filter((s) => s.rule === 'later_check');
    assert.deepEqual(delayed.map((s) => s.score_id).sort(), [1, 2, 3].map((i) => scoreId('later_check', `trace-${i}`, 'later_check')).sort());
    assert.equal(second.stats().pending, 0);
    assert.equal(second.stats().consumed, 0, 'the immediate group had committed: nothing evaluated twice');
    await Promise.all([second.stop(), out.close()]);
    await bus.close();
  });
});
