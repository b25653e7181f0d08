import type { ScheduledTask } from 'node-cron';
import type { Batch, EventBus, OutgoingMessage, Subscription } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Logger } from '../core/logger.ts';
import { scheduleCron } from '../core/schedule.ts';
import { decodeEnriched, type EnrichedTrace } from '../core/schema/enriched-trace.ts';
import { encodeScore } from '../core/schema/score.ts';
import type { Pricer } from '../core/pricing/pricer.ts';
import { shuttingDown } from './judge/chat-client.ts';
import { createPendingQueue } from './pending.ts';
import { JUDGE_FEATURE, toEvalInput } from './records.ts';
import { createRuleRunner, type Produced, type RuleRunner, type RuleStats } from './rule-runner.ts';
import { compileRules, type JudgeDefaults } from './rules/compile.ts';
import type { RulesFile } from './rules/rule-schema.ts';
import { createSampler } from './sampling.ts';
import { MODEL_CALL_KINDS } from '../core/schema/trace-event.ts';

/**
 * The evaluator service: consumes llm.traces.enriched, evaluates the traces each rule
 * samples, publishes a Score per (rule, trace) to llm.scores (key trace_id) and, for each
 * judge call, a raw trace event (feature eval_judge) to llm.traces.raw. A batch is
 * committed only after those publishes resolved.
 *
 * Rules without a delay run in the consumer group `group`. Rules with `delay_seconds`
 * run in a second group, `${group}.delayed`, over the same topic: its batches park their
 * evaluations in a pending queue until message time + delay; a node-cron job starts the
 * due ones; the batch is committed only after all its parked evaluations were published.
 * So a parked evaluation is never lost: if the process stops first, that batch is
 * uncommitted and redelivered on restart, re-parked with the same due time (already past:
 * it runs at the next tick), and the deterministic score_id collapses any repeat. The
 * second group keeps long delays from holding back the immediate rules.
 *
 * Judge traces (feature eval_judge) are never evaluated, so judging cannot feed itself.
 *
 * In-process bus caveat: with `waitForConsumers`, a publish waits for every group of the
 * topic, so the evaluator's groups must be exempt from that wait; otherwise ingest waits
 * for judge calls and delays, and a judge-trace publish (raw → enricher → enriched →
 * this group) deadlocks on its own partition.
 */
export interface EvaluatorServiceDeps {
  bus: EventBus;
  registry: AvroRegistry;
  pricer: Pricer;
  rules: RulesFile;
  log: Logger;
  topics: { enriched: string; scores: string; raw: string };
  group: string;
  /** Defaults for judge rules (JUDGE_BASE_URL, JUDGE_MODEL). Default: no base URL, gpt-4o-mini. */
  judge?: JudgeDefaults;
  /** Where api_key_env names are looked up. Default: none (no API keys). */
  env?: Readonly<Record<string, string | undefined>>;
  maxBatchSize?: number;
  /**
   * In-process bus: unread enriched events per partition this evaluator may fall behind
   * by; past it the oldest are skipped unjudged and counted (`shed`), so a slow judge never
   * makes the process hold every event. Default: unbounded. Kafka ignores it.
   */
  maxBacklog?: number;
  /** node-cron expression (seconds field allowed) of the tick that starts due delayed evals. */
  pendingSchedule?: string;
  now?: () => number;
  fetch?: typeof fetch;
  random?: () => number;
  /** Label of the rules in config errors (e.g. the EVALS_FILE path). */
  rulesSource?: string;
}

export interface EvaluatorStats {
  consumed: number;
  consumed_delayed: number;
  undecodable: number;
  judge_traces_skipped: number;
  scores_published: number;
  judge_traces_published: number;
  /** Enriched events skipped unjudged because the evaluator was behind by more than maxBacklog (in-process bus). */
  shed: number;
  pending: number;
  /** Rules whose judge budget is used up in the current hour/day window (sampling paused). */
  budget_exhausted: string[];
  disabled_rules: { name: string; reason: string }[];
  rules: Record<string, RuleStats>;
}

export interface EvaluatorService {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): EvaluatorStats;
}

export const DEFAULT_PENDING_SCHEDULE = '*/2 * * * * *';
export const DEFAULT_JUDGE: JudgeDefaults = { model: 'gpt-4o-mini' };

/** Builds the service; throws RulesConfigError (refuse to start) for a rule that cannot run. */
export function createEvaluatorService(deps: EvaluatorServiceDeps): EvaluatorService {
  const log = deps.log.child({ component: 'evaluator' });
  const now = deps.now ?? Date.now;
  const compiled = compileRules(deps.rules, {
    env: deps.env ?? {},
    judge: deps.judge ?? DEFAULT_JUDGE,
    pricer: deps.pricer,
    fetch: deps.fetch,
    now,
    random: deps.random,
    source: deps.rulesSource,
  });
  const sampler = createSampler();
  const runners = compiled.rules.map((rule) => createRuleRunner(rule, { sampler, pricer: deps.pricer, log, now }));
  const immediate = runners.filter((r) => r.rule.delayMs === 0);
  const delayed = runners.filter((r) => r.rule.delayMs > 0);
  const pending = createPendingQueue();
  const abort = new AbortController();
  const counters = { consumed: 0, consumed_delayed: 0, undecodable: 0, judge_traces_skipped: 0, scores_published: 0, judge_traces_published: 0, shed: 0 };
  let lastShedWarnAt = 0;
  function onShed(count: number): void {
    counters.shed += count;
    const t = Date.now();
    if (t - lastShedWarnAt < 10_000) return;
    lastShedWarnAt = t;
    log.warn({ shed: counters.shed, max_backlog: deps.maxBacklog }, 'evaluator is behind by more than its backlog bound: the oldest unread events are skipped unjudged');
  }
  const subscriptions: Subscription[] = [];
  let task: ScheduledTask | null = null;
  let stopping = false;

  function decode(batch: Batch, i: number): EnrichedTrace | null {
    const m = batch.messages[i];
    try {
      return decodeEnriched(deps.registry, m.value);
    } catch (err) {
      // The writer dead-letters what it cannot decode; here it is only skipped, visibly.
      counters.undecodable++;
      log.warn({ err, partition: m.partition, offset: m.offset }, 'skipping an enriched message that does not decode');
      return null;
    }
  }

  async function publish(produced: Produced[]): Promise<void> {
    const scores: OutgoingMessage[] = produced.map((p) => ({ key: p.score.trace_id, value: encodeScore(deps.registry, p.score) }));
    const judged: OutgoingMessage[] = produced.flatMap((p) =>
      p.judgeTrace ? [{ key: p.judgeTrace.trace_id as string, value: Buffer.from(JSON.stringify(p.judgeTrace)) }] : [],
    );
    await Promise.all([
      scores.length > 0 ? deps.bus.publish(deps.topics.scores, scores) : undefined,
      judged.length > 0 ? deps.bus.publish(deps.topics.raw, judged) : undefined,
    ]);
    counters.scores_published += scores.length;
    counters.judge_traces_published += judged.length;
  }

  function handler(rules: RuleRunner[], isDelayed: boolean) {
    return async (batch: Batch): Promise<void> => {
      if (stopping) throw shuttingDown();
      const work: Promise<Produced | null>[] = [];
      for (let i = 0; i < batch.messages.length; i++) {
        const trace = decode(batch, i);
        if (trace === null) continue;
        if (!MODEL_CALL_KINDS.has(trace.event.span_kind)) continue; // eval rules judge model calls; an agent or tool span has no output of its own to score
        if (trace.event.feature === JUDGE_FEATURE) {
          if (!isDelayed) counters.judge_traces_skipped++;
          continue;
        }
        for (const runner of rules) {
          const input = toEvalInput(trace, runner.rule.config.context_key);
          const reason = runner.plan(input, trace.event.status);
          if (reason === null) continue;
          const run = () => runner.run(input, reason, abort.signal);
          work.push(isDelayed ? pending.park(batch.messages[i].timestamp + runner.rule.delayMs, run) : run());
        }
      }
      const produced = (await Promise.all(work)).filter((p): p is Produced => p !== null);
      if (produced.length > 0) await publish(produced);
      if (isDelayed) counters.consumed_delayed += batch.messages.length;
      else counters.consumed += batch.messages.length;
    };
  }

  return {
    async start() {
      for (const d of compiled.disabled) log.warn({ rule: d.name, reason: d.reason }, 'eval rule disabled');
      for (const r of runners) {
        const c = r.rule.config;
        log.info({ rule: r.rule.name, evaluator: c.evaluator.type, sample_rate: c.sample_rate, stratum_min_per_hour: c.stratum_min_per_hour, delay_seconds: c.delay_seconds }, 'eval rule active');
      }
      if (runners.length === 0) log.warn('no active eval rules: the evaluator consumes nothing');
      // Evals are sampled and asynchronous: in the in-process bus, ingest must not wait for
      // them (and the judge traces this service publishes upstream must not wait on itself).
      const base = { topics: [deps.topics.enriched], maxBatchSize: deps.maxBatchSize ?? 500, awaitedByPublishers: false, maxBacklog: deps.maxBacklog, onShed };
      if (immediate.length > 0) subscriptions.push(await deps.bus.subscribe({ ...base, group: deps.group, onBatch: handler(immediate, false) }));
      if (delayed.length > 0) {
        task = scheduleCron(deps.pendingSchedule ?? DEFAULT_PENDING_SCHEDULE, `evaluator-pending-${deps.group}`, () => void pending.runDue(now()), log);
        subscriptions.push(await deps.bus.subscribe({ ...base, group: `${deps.group}.delayed`, onBatch: handler(delayed, true) }));
      }
      log.info({ topic: deps.topics.enriched, group: deps.group, immediate: immediate.length, delayed: delayed.length }, 'evaluator consuming');
    },
    async stop() {
      stopping = true;
      // Closing first stops new batches; then parked and in-flight judge work is abandoned:
      // those batches fail, stay uncommitted, and are redone after a restart.
      const closing = subscriptions.splice(0).map((s) => s.close());
      pending.rejectAll(shuttingDown());
      abort.abort();
      await task?.destroy();
      task = null;
      await Promise.all(closing);
      log.info(counters, 'evaluator stopped');
    },
    stats() {
      const rules: Record<string, RuleStats> = {};
      for (const r of runners) rules[r.rule.name] = r.stats();
      return {
        ...counters,
        pending: pending.size(),
        budget_exhausted: runners.filter((r) => r.budgetExhausted()).map((r) => r.rule.name),
        disabled_rules: [...compiled.disabled],
        rules,
      };
    },
  };
}
