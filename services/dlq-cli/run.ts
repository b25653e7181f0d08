/**
 * `npm run dlq -- list|replay …` (scripts/dlq.ts reads the env and calls this).
 * Results go to stdout, progress and errors to stderr, so `list --json | jq` works.
 * Exit codes: 0 done; 1 something failed (ClickHouse unreachable, a replay failed);
 * 2 the command line or the configuration is wrong (nothing was contacted).
 */
import type { Config } from '../core/config.ts';
import { ErrorCodes, PipelineError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { migrate } from '../core/wiring.ts';
import { USAGE, UsageError, parseDlqArgs, type DlqCommand } from './args.ts';
import { clickHouseUrl, openStore, openTarget, type StoreConnection } from './connections.ts';
import { selectDlqEntries, tableExists } from './dlq-store.ts';
import { formatListJson, formatListTable, formatOutcome, formatSummary } from './format.ts';
import { replayDlq } from './replay.ts';
import type { ReplayTarget } from './targets.ts';

export interface DlqCliDeps {
  config: Config;
  log: Logger;
  stdout(text: string): void;
  stderr(text: string): void;
  now?: () => number;
  /** Tests replace the connections; by default they come from the config (connections.ts). */
  openStore?: (access: 'read' | 'write') => StoreConnection;
  openTarget?: () => ReplayTarget;
}

export async function runDlqCli(argv: readonly string[], deps: DlqCliDeps): Promise<number> {
  const now = deps.now ?? Date.now;
  let cmd: DlqCommand;
  try {
    cmd = parseDlqArgs(argv, now());
  } catch (err) {
    if (err instanceof UsageError) {
      deps.stderr(`dlq: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (cmd.command === 'help') {
    deps.stdout(`${USAGE}\n`);
    return 0;
  }

  const url = clickHouseUrl(deps.config);
  let conn: StoreConnection | null = null;
  try {
    const access = cmd.command === 'replay' && !cmd.dryRun ? 'write' : 'read';
    conn = deps.openStore ? deps.openStore(access) : openStore(deps.config, access, deps.log);
    if (!(await tableExists(conn.store, 'dlq'))) {
      deps.stderr(`dlq: ClickHouse at ${url} has no table dlq: start the pipeline once (\`npm start\`) so its migrations create it\n`);
      return 1;
    }
    return cmd.command === 'list' ? await list(conn.store, cmd, deps) : await replay(conn.store, cmd, deps, now);
  } catch (err) {
    return reportError(err, url, deps);
  } finally {
    await conn?.store.close().catch(() => {});
  }
}

async function list(store: Store, cmd: Extract<DlqCommand, { command: 'list' }>, deps: DlqCliDeps): Promise<number> {
  const withReplays = await tableExists(store, 'dlq_replays');
  const entries = await selectDlqEntries(store, cmd.filter, { limit: cmd.limit, order: 'newest-first', withReplays });
  if (cmd.json) deps.stdout(formatListJson(entries));
  else if (entries.length > 0) deps.stdout(formatListTable(entries));
  const more = entries.length === cmd.limit ? ` (--limit ${cmd.limit} reached: older ones may match)` : '';
  deps.stderr(entries.length === 0 ? 'no dead letters match\n' : `${entries.length} dead letter(s), newest first${more}\n`);
  return 0;
}

async function replay(store: Store, cmd: Extract<DlqCommand, { command: 'replay' }>, deps: DlqCliDeps, now: () => number): Promise<number> {
  let withReplays = await tableExists(store, 'dlq_replays');
  if (!withReplays && !cmd.dryRun) {
    // The pipeline applies migrations when it starts; one started before 007 existed has not.
    deps.stderr('dlq: table dlq_replays is missing: applying the schema migrations (schemas/clickhouse)\n');
    await migrate(store, deps.config, deps.log);
    withReplays = await tableExists(store, 'dlq_replays');
    if (!withReplays) {
      deps.stderr('dlq: dlq_replays is still missing although migration 007 is recorded as applied (was the table dropped?): re-create it from schemas/clickhouse/007_dlq_replays.sql\n');
      return 1;
    }
  }
  const target = cmd.dryRun ? null : deps.openTarget ? deps.openTarget() : openTarget(deps.config, deps.log);
  try {
    if (target) deps.stderr(`dlq: replaying via ${target.describe}\n`);
    const summary = await replayDlq(
      { store, target, withReplays, now, onOutcome: (o) => deps.stdout(formatOutcome(o)) },
      { filter: cmd.filter, limit: cmd.limit, dryRun: cmd.dryRun, force: cmd.force, ...(cmd.toTopic ? { toTopic: cmd.toTopic } : {}) },
    );
    if (summary.outcomes.length === 0) deps.stderr('no dead letters match\n');
    deps.stdout(formatSummary(summary, { dryRun: cmd.dryRun, via: target?.describe ?? '' }));
    return summary.failed > 0 || summary.warnings > 0 ? 1 : 0;
  } finally {
    await target?.close().catch(() => {});
  }
}

/** One line saying what is wrong and what to do; exit 2 for configuration, 1 otherwise. */
function reportError(err: unknown, url: string, deps: DlqCliDeps): number {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError || (err instanceof PipelineError && err.code === ErrorCodes.CONFIG_INVALID)) {
    deps.stderr(`dlq: ${message}\n`);
    return 2;
  }
  if (err instanceof PipelineError && err.code === ErrorCodes.STORE_UNAVAILABLE) {
    deps.stderr(
      `dlq: cannot reach ClickHouse at ${url} (${message}).\n` +
        '  Start the pipeline with `npm start` (it serves ClickHouse on CLICKHOUSE_HTTP_HOST:CLICKHOUSE_HTTP_PORT, 127.0.0.1:8123 by default),\n' +
        '  or `npm run service -- clickhouse`, or set CLICKHOUSE_URL to a ClickHouse server.\n',
    );
    return 1;
  }
  if (err instanceof PipelineError && (err.chType === 'AUTHENTICATION_FAILED' || err.chType === 'REQUIRED_PASSWORD')) {
    deps.stderr(`dlq: ClickHouse at ${url} refused the credentials (${message}): check CLICKHOUSE_SERVICE_USER/CLICKHOUSE_SERVICE_PASSWORD or CLICKHOUSE_USER/CLICKHOUSE_PASSWORD\n`);
    return 1;
  }
  deps.stderr(`dlq: ${message}\n`);
  return 1;
}
