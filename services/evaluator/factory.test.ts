import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { syntheticTraces } from '../../scripts/lib/synthetic-traces.ts';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { silentLogger } from '../core/logger.ts';
import { createPricer } from '../core/pricing/pricer.ts';
import { realTable } from '../../test/support/pricing/price-tables.ts';
import { scoreReply, startJudgeServer, type JudgeServer } from '../../test/support/judge/fake-judge-server.ts';
import { DEFAULT_EVALUATOR_SETTINGS, evaluatorFromSettings } from './factory.ts';
import { collect, publishTraces, TOPICS, waitFor } from '../../test/support/evaluator/service-harness.ts';

const registry = loadAvroRegistry();
const pricer = createPricer(realTable());
const servers: JudgeServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function runExample(settings: Partial<typeof DEFAULT_EVALUATOR_SETTINGS>, env: Record<string, string> = {}) {
  const bus = createMemoryBus({ partitions: 2 });
  const out = await collect(bus, registry);
  const svc = evaluatorFromSettings({ bus, registry, pricer, log: silentLogger(), topics: TOPICS, settings: { ...DEFAULT_EVALUATOR_SETTINGS, ...settings, env } });
  await svc.start();
  const events = [...syntheticTraces(600, { seed: 11, textBytes: 300, now: Date.UTC(2026, 0, 1, 12) })];
  await publishTraces(bus, registry, events);
  await waitFor('all demo traces', () => svc.stats().consumed === events.length, 60_000);
  return { bus, out, svc };
}

describe('the shipped example rules on demo traffic', () => {
  it('produce passing and failing scores for every rule, per prompt version, without a judge', async () => {
    const { bus, out, svc } = await runExample({});
    const stats = svc.stats();
    assert.deepEqual(stats.disabled_rules.map((d) => d.name), ['helpfulness_judge']);
    const names = [...new Set(out.scores.map((s) => s.name))].sort();
    assert.deepEqual(names, ['code_assist_concise', 'finish_reason_stop', 'invoice_mentions_total', 'rerank_has_answer', 'summary_concise', 'summary_grounded', 'support_no_credentials']);
    for (const name of names) {
      const scores = out.scores.filter((s) => s.name === name);
      const passRate = scores.filter((s) => s.passed).length / scores.length;
      assert.ok(passRate > 0 && passRate < 1, `${name}: pass rate ${passRate} should be a spread`);
      assert.deepEqual([...new Set(scores.map((s) => s.prompt_version))].sort(), ['v1', 'v2', 'v3'], `${name} per prompt version`);
    }
    await Promise.all([svc.stop(), out.close()]);
    await bus.close();
  });

  it('turn the judge on when JUDGE_BASE_URL is set; the key comes from the env var the rule names', async () => {
    const judge = await startJudgeServer(() => scoreReply(0.75));
    servers.push(judge);
    const { bus, out, svc } = await runExample({ judgeBaseUrl: judge.baseUrl }, { JUDGE_API_KEY: 'sk-from-env' });
    assert.equal(svc.stats().disabled_rules.length, 0);
    await waitFor('judge scores', () => out.scores.some((s) => s.name === 'helpfulness_judge'));
    assert.ok(judge.requests.length > 0);
    assert.ok(judge.requests.every((r) => r.headers.authorization === 'Bearer sk-from-env' && r.body.model === 'gpt-4o-mini'));
    await waitFor('judge traces', () => out.raw.length === judge.requests.length);
    assert.ok(out.raw.every((t) => t.feature === 'eval_judge'));
    await Promise.all([svc.stop(), out.close()]);
    await bus.close();
  });
});
