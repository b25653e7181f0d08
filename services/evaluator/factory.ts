import { resolve } from 'node:path';
import type { EventBus } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Pricer } from '../core/pricing/pricer.ts';
import { REPO_ROOT } from '../core/wiring.ts';
import { loadRulesFile } from './rules/load.ts';
import type { RulesFile } from './rules/rule-schema.ts';
import { createEvaluatorService, DEFAULT_PENDING_SCHEDULE, type EvaluatorService } from './service.ts';

/** What the evaluator is configured with (the env names each field comes from). */
export interface EvaluatorSettings {
  /** EVALS_FILE: the rules file, relative to the repo root or absolute. */
  evalsFile: string;
  /** EVALUATOR_GROUP: consumer group; delayed rules use `${group}.delayed`. */
  group: string;
  /** EVALUATOR_BATCH_SIZE: messages per onBatch. */
  batchSize: number;
  /** EVALUATOR_PENDING_CRON: node-cron expression of the delayed-eval tick. */
  pendingSchedule: string;
  /** EVALUATOR_MAX_BACKLOG: in-process bus only, unread enriched events per partition past which the oldest are shed. */
  maxBacklog?: number;
  /** JUDGE_BASE_URL: default judge endpoint (…/v1); unset disables judge rules without their own base_url. */
  judgeBaseUrl?: string;
  /** JUDGE_MODEL: default judge model. */
  judgeModel: string;
  /** TOPIC_SCORES. */
  scoresTopic: string;
  /** Environment in which rules' api_key_env names are looked up (never logged). */
  env: Readonly<Record<string, string | undefined>>;
}

export const DEFAULT_EVALUATOR_SETTINGS: Omit<EvaluatorSettings, 'env'> = {
  evalsFile: 'schemas/evals/evals.example.json',
  group: 'llm-evaluator',
  batchSize: 5_000,
  pendingSchedule: DEFAULT_PENDING_SCHEDULE,
  judgeModel: 'gpt-4o-mini',
  scoresTopic: 'llm.scores',
};

/**
 * The evaluator as both entries run it, on a given bus (Kafka in distributed mode, the
 * in-process bus in the all-in-one process): llm.traces.enriched → sampled evals →
 * llm.scores (+ judge calls as traces on llm.traces.raw).
 */
export function evaluatorFromSettings(opts: {
  bus: EventBus;
  registry: AvroRegistry;
  pricer: Pricer;
  log: Logger;
  topics: { enriched: string; raw: string };
  settings: EvaluatorSettings;
  /** Rules already loaded from settings.evalsFile (loaded here when absent). */
  rules?: RulesFile;
}): EvaluatorService {
  const s = opts.settings;
  const file = resolve(REPO_ROOT, s.evalsFile);
  return createEvaluatorService({
    bus: opts.bus,
    registry: opts.registry,
    pricer: opts.pricer,
    rules: opts.rules ?? loadRulesFile(file),
    rulesSource: file,
    log: opts.log,
    topics: { enriched: opts.topics.enriched, raw: opts.topics.raw, scores: s.scoresTopic },
    group: s.group,
    maxBatchSize: s.batchSize,
    pendingSchedule: s.pendingSchedule,
    maxBacklog: s.maxBacklog,
    judge: { baseUrl: s.judgeBaseUrl, model: s.judgeModel },
    env: s.env,
  });
}

/** The evaluator's settings from the validated configuration. */
export function settingsFromConfig(config: Config): Omit<EvaluatorSettings, 'env'> {
  return {
    evalsFile: config.EVALS_FILE,
    group: config.EVALUATOR_GROUP,
    batchSize: config.EVALUATOR_BATCH_SIZE,
    pendingSchedule: config.EVALUATOR_PENDING_CRON,
    maxBacklog: config.EVALUATOR_MAX_BACKLOG,
    judgeBaseUrl: config.JUDGE_BASE_URL,
    judgeModel: config.JUDGE_MODEL,
    scoresTopic: config.TOPIC_SCORES,
  };
}

export interface EvaluatorFactoryDeps {
  config: Config;
  log: Logger;
  bus: EventBus;
  registry: AvroRegistry;
  pricer: Pricer;
  /** Where the rules' api_key_env names are looked up (never logged). */
  env: Readonly<Record<string, string | undefined>>;
  /** Rules already loaded from EVALS_FILE (loaded here when absent). */
  rules?: RulesFile;
}

/** The evaluator from the validated configuration: what `npm start` and `npm run service -- evaluator` both run. */
export function evaluatorFromConfig(deps: EvaluatorFactoryDeps): EvaluatorService {
  const c = deps.config;
  return evaluatorFromSettings({
    bus: deps.bus,
    registry: deps.registry,
    pricer: deps.pricer,
    log: deps.log,
    topics: { enriched: c.TOPIC_ENRICHED, raw: c.TOPIC_RAW },
    settings: { ...settingsFromConfig(c), env: deps.env },
    rules: deps.rules,
  });
}
