import { loadConfig, type Config } from './core/config.ts';
import { stopOnSignals, type RunningService, type ServiceEnv } from './core/lifecycle.ts';
import { createLogger, type Logger } from './core/logger.ts';
import { registerHealthRoutes } from './core/health.ts';
import { createHttpApp } from './core/http-app.ts';

/**
 * `npm run service -- <name> [--check-config]`: one service alone, configured by the
 * environment (distributed mode). Each `services/<name>/main.ts` builds that service's
 * adapters (Kafka, the ClickHouse server) and hands them to the service's factory
 * (`services/<name>/factory.ts`), the same factory `npm start` composes in one process.
 * The only other place that reads the environment is services/all-in-one/main.ts.
 */
type Starter = (config: Config, log: Logger, env: ServiceEnv) => Promise<RunningService>;
const SERVICES: Record<string, () => Promise<{ start: Starter }>> = {
  ingest: () => import('./ingest/main.ts'),
  enricher: () => import('./enricher/main.ts'),
  writer: () => import('./writer/main.ts'),
  query: () => import('./query/main.ts'),
  clickhouse: () => import('./clickhouse-http/main.ts'),
  evaluator: () => import('./evaluator/main.ts'),
  anomaly: () => import('./anomaly/main.ts'),
};

const name = process.argv[2];
if (!name || !(name in SERVICES)) {
  process.stderr.write(`usage: npm run service -- <${Object.keys(SERVICES).join('|')}> [--check-config]\n`);
  process.exit(2);
}
let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
if (process.argv.includes('--check-config')) {
  process.stdout.write('configuration is valid\n');
  process.exit(0);
}
const log = createLogger({ level: config.LOG_LEVEL, name });
try {
  const { start } = await SERVICES[name]();
  // The environment goes to services for names their files choose (api_key_env, url_env).
  const service = await start(config, log, process.env);
  const health = await serveHealth(name, service, config, log);
  stopOnSignals(
    { ready: service.ready, stop: async () => { await service.stop(); await health?.close(); } },
    { log, timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
  );
  log.info({ service: name }, 'service ready');
} catch (err) {
  log.fatal({ err }, 'service failed to start');
  process.exit(1);
}

/** Consumers have no HTTP API of their own; with HEALTH_PORT they get /healthz and /readyz. */
async function serveHealth(service: string, running: RunningService, c: Config, log: Logger) {
  if (c.HEALTH_PORT === undefined || !['enricher', 'writer', 'evaluator', 'anomaly'].includes(service)) return null;
  const app = createHttpApp({ log, bodyLimit: 1024 });
  registerHealthRoutes(app, [() => running.ready()]);
  const address = await app.listen({ host: c.HOST, port: c.HEALTH_PORT });
  log.info({ address }, 'health endpoints listening');
  return app;
}
