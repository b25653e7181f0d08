import { clickhouseSql } from '../../helpers/clickhouse-sql.ts';
import { freePort, startService, type ServiceProcess } from '../../helpers/service-process.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/**
 * `npm start` as a real process (startService('all-in-one')) on a DATA_DIR and ports that
 * survive its restarts, so the client and the SQL queries keep their URLs.
 */
export interface AllInOne {
  apiUrl: string;
  chUrl: string;
  sql: (query: string) => Promise<any[]>;
  process: ServiceProcess | null;
  /** Starts the process; resolves with it once it logged `pipeline ready`, and the ms that took. */
  start(extra?: Record<string, string>): Promise<{ p: ServiceProcess; readyMs: number }>;
  shutdown(): Promise<void>;
}

/** `dataDir`: use this directory (e.g. a small filesystem the test mounted) instead of a new temp dir; the caller cleans it up. */
export async function allInOne(name: string, options: { dataDir?: string } = {}): Promise<AllInOne> {
  const dir = options.dataDir ? { path: options.dataDir, cleanup: () => {} } : tempDir(`fault-${name}`);
  const [port, chPort] = [await freePort(), await freePort()];
  const chUrl = `http://127.0.0.1:${chPort}`;
  const all: ServiceProcess[] = [];
  const a: AllInOne = {
    apiUrl: `http://127.0.0.1:${port}`,
    chUrl,
    sql: clickhouseSql(() => chUrl),
    process: null,
    async start(extra = {}) {
      const t0 = Date.now();
      const p = startService('all-in-one', { DATA_DIR: dir.path, PORT: String(port), CLICKHOUSE_HTTP_PORT: String(chPort), ...extra });
      all.push(p);
      a.process = p;
      await p.waitForLog(/pipeline ready/, 180_000);
      return { p, readyMs: Date.now() - t0 };
    },
    async shutdown() {
      for (const p of all) await p.stop('SIGKILL');
      dir.cleanup();
    },
  };
  return a;
}
