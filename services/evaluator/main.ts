import { resolve } from 'node:path';
import type { EventBus } from '../core/bus/event-bus.ts';
import { loadAvroRegistry, type AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { kafkaBusFromConfig, pricerFromConfig, REPO_ROOT } from '../core/wiring.ts';
import type { Pricer } from '../core/pricing/pricer.ts';
import { loadRulesFile } from './rules/load.ts';
import type { RulesFile } from './rules/rule-schema.ts';
import { createEvaluatorService, DEFAULT_PENDING_SCHEDULE, type EvaluatorService, type EvaluatorStats } from './service.ts';

/**
 * `npm run service -- evaluator`: llm.traces.enriched → sampled evals → llm.scores
 * (+ judge calls as traces on llm.traces.raw). Settings the config schema does not carry
 * yet come in `settings` (see EvaluatorSettings for the env names and defaults).
 */
export interface EvaluatorSettings {
  /** EVALS_FILE: the rules file, relative to the repo root or absolute. */
  evalsFile: string;
  /** EVALUATOR_GROUP: consumer group; delayed rules use `${group}.delayed`. */
  group: string;
  /** EVALUATOR_BATCH_SIZE: messages per onBatch. */
  batchSize: number;
  /** EVALUATOR_PENDING_CRON: node-cron expression of the delayed-eval tick. */
  pendingSchedule: string;
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

/** The service on a given bus (Kafka here; the in-process bus in the all-in-one process). */
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
    judge: { baseUrl: s.judgeBaseUrl, model: s.judgeModel },
    env: s.env,
  });
}

export interface RunningEvaluator extends RunningService {
  stats(): EvaluatorStats;
}

export async function start(config: Config, log: Logger, settings?: Partial<EvaluatorSettings>): Promise<RunningEvaluator> {
  const full: EvaluatorSettings = {
    ...settingsFromConfig(config),
    // api_key_env names are chosen in the rules file, so they cannot be in the config schema.
    env: process.env,
    ...settings,
  };
  // Load (and validate) the rules before anything else, so a bad file is the error a user sees.
  const rules = loadRulesFile(resolve(REPO_ROOT, full.evalsFile));
  const registry = loadAvroRegistry();
  const pricer = pricerFromConfig(config);
  const bus = kafkaBusFromConfig(config, log);
  let evaluator: EvaluatorService;
  try {
    // A bad rules file throws here, before any connection (the Kafka bus connects lazily).
    evaluator = evaluatorFromSettings({ bus, registry, pricer, log, topics: { enriched: config.TOPIC_ENRICHED, raw: config.TOPIC_RAW }, settings: full, rules });
    await evaluator.start();
  } catch (err) {
    await bus.close().catch(() => {});
    throw err;
  }
  let ready = true;
  return {
    ready: () => ready,
    stats: () => evaluator.stats(),
    async stop() {
      ready = false;
      await evaluator.stop();
      await bus.close();
    },
  };
}

/** The evaluator's settings from the validated configuration. */
export function settingsFromConfig(config: Config): Omit<EvaluatorSettings, 'env'> {
  return {
    evalsFile: config.EVALS_FILE,
    group: config.EVALUATOR_GROUP,
    batchSize: config.EVALUATOR_BATCH_SIZE,
    pendingSchedule: config.EVALUATOR_PENDING_CRON,
    judgeBaseUrl: config.JUDGE_BASE_URL,
    judgeModel: config.JUDGE_MODEL,
    scoresTopic: config.TOPIC_SCORES,
  };
}
