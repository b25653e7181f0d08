/**
 * The real Store on the embedded engine for the query API tests: a fresh data
 * directory, the project's migrations (TTLs long enough that no fixture expires),
 * and the production adapter. chDB binds one data directory per process: call
 * openTestStore once per test file (node --test runs each file in its own process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../services/core/logger.ts';
import { createClickHouseStore } from '../../../services/core/store/clickhouse-store.ts';
import { createEmbeddedClient } from '../../../services/core/store/clients.ts';
import { applyMigrations } from '../../../services/core/store/migrations.ts';
import type { Store } from '../../../services/core/store/store.ts';

export const MIGRATIONS_DIR = join(import.meta.dirname, '../../../schemas/clickhouse');
/** TTLs long enough that no fixture expires. */
export const TEST_TTL_VARS = {
  RAW_TTL_DAYS: 3650,
  TEXT_TTL_DAYS: 3650,
  ROLLUP_1M_TTL_DAYS: 3650,
  ROLLUP_1H_TTL_DAYS: 3650,
  DLQ_TTL_DAYS: 3650,
  SCORES_TTL_DAYS: 3650,
  ALERTS_TTL_DAYS: 3650,
};

export interface TestStore {
  store: Store;
  close(): Promise<void>;
}

export async function openTestStore(): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'query-test-'));
  const log = silentLogger();
  const store = createClickHouseStore({ client: createEmbeddedClient({ dataDir }), log, embedded: true });
  await applyMigrations(store, { dir: MIGRATIONS_DIR, vars: TEST_TTL_VARS, log });
  return {
    store,
    async close() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
