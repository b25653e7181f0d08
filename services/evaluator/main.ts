import { resolve } from 'node:path';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { RunningService, ServiceEnv } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { kafkaBusFromConfig, pricerFromConfig, REPO_ROOT } from '../core/wiring.ts';
import { evaluatorFromConfig } from './factory.ts';
import { loadRulesFile } from './rules/load.ts';
import type { EvaluatorService, EvaluatorStats } from './service.ts';

/**
 * `npm run service -- evaluator`: llm.traces.enriched → sampled evals → llm.scores
 * (+ judge calls as traces on llm.traces.raw).
 */
export interface RunningEvaluator extends RunningService {
  stats(): EvaluatorStats;
}

export async function start(config: Config, log: Logger, env: ServiceEnv): Promise<RunningEvaluator> {
  // Load (and validate) the rules before anything else, so a bad file is the error a user sees.
  const rules = loadRulesFile(resolve(REPO_ROOT, config.EVALS_FILE));
  const registry = loadAvroRegistry();
  const pricer = pricerFromConfig(config);
  const bus = kafkaBusFromConfig(config, log);
  let evaluator: EvaluatorService;
  try {
    // A bad rule throws here, before any connection (the Kafka bus connects on first use).
    evaluator = evaluatorFromConfig({ config, log, bus, registry, pricer, env, rules });
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
