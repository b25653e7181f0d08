import { pino } from 'pino';
import { loadConfig, type Config } from '../services/core/config.ts';
import { runDlqCli } from '../services/dlq-cli/run.ts';

/**
 * `npm run dlq -- list|replay …` (services/dlq-cli/run.ts). The one place the CLI reads
 * the environment. Logs (Kafka client, migrations) go to stderr at warn unless
 * LOG_LEVEL asks for debug/trace, so stdout carries only the results.
 */
let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  process.stderr.write(`dlq: ${(err as Error).message}\n`);
  process.exit(2);
}
const level = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' || config.LOG_LEVEL === 'silent' ? config.LOG_LEVEL : 'warn';
const log = pino({ name: 'dlq', level }, pino.destination(2));

process.exitCode = await runDlqCli(process.argv.slice(2), {
  config,
  log,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
