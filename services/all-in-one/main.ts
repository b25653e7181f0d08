import { loadConfig } from '../core/config.ts';
import { stopOnSignals } from '../core/lifecycle.ts';
import { createLogger } from '../core/logger.ts';
import { startEmbeddedPipeline } from './embedded-pipeline.ts';

/** `npm start`: every service in one process on the embedded default. */
const config = loadConfigOrExit();
if (process.argv.includes('--check-config')) {
  process.stdout.write('configuration is valid\n');
  process.exit(0);
}
const log = createLogger({ level: config.LOG_LEVEL, name: 'all-in-one' });
const pipeline = await startEmbeddedPipeline(config, log, { env: process.env }).catch((err: unknown) => {
  log.fatal({ err }, 'the pipeline failed to start');
  process.exit(1);
});
stopOnSignals(pipeline, { log, timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
log.info({ api: pipeline.apiUrl, clickhouse: pipeline.clickhouseUrl, dataDir: config.DATA_DIR }, 'pipeline ready');
process.stdout.write(
  [
    '',
    `  LLM trace pipeline (embedded) is ready`,
    `  HTTP API            ${pipeline.apiUrl}   (POST /v1/traces, GET /v1/metrics/cost …)`,
    `  ClickHouse HTTP     ${pipeline.clickhouseUrl}   (read-only SQL: curl '${pipeline.clickhouseUrl}/?query=SELECT+count()+FROM+traces')`,
    `  Data directory      ${config.DATA_DIR}`,
    `  Send demo traffic:  npm run demo`,
    '',
  ].join('\n') + '\n',
);

function loadConfigOrExit() {
  try {
    return loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}
