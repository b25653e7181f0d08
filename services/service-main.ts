import { loadConfig, type Config } from './core/config.ts';
import { stopOnSignals, type RunningService } from './core/lifecycle.ts';
import { createLogger, type Logger } from './core/logger.ts';

/**
 * `npm run service -- <name> [--check-config]`: one service alone, configured by the
 * environment (distributed mode). The only other place that reads the environment is
 * services/all-in-one/main.ts.
 */
type Starter = (config: Config, log: Logger) => Promise<RunningService>;
const SERVICES: Record<string, () => Promise<{ start: Starter }>> = {
  ingest: () => import('./ingest/main.ts'),
  enricher: () => import('./enricher/main.ts'),
  writer: () => import('./writer/main.ts'),
  query: () => import('./query/main.ts'),
  clickhouse: () => import('./clickhouse/main.ts'),
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
  const service = await start(config, log);
  stopOnSignals(service, { log, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  log.info({ service: name }, 'service ready');
} catch (err) {
  log.fatal({ err }, 'service failed to start');
  process.exit(1);
}
