/**
 * The Store contract on the embedded engine: @clickhouse/client over the chdb
 * connection, in process. chDB binds one data directory per process: this file uses one.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { silentLogger } from '../../services/core/logger.ts';
import { createClickHouseStore } from '../../services/core/store/clickhouse-store.ts';
import { createEmbeddedClient } from '../../services/core/store/clients.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { runStoreContract, uniqueTable } from './store.contract.ts';

const dir = tempDir('store-embedded');
after(() => dir.cleanup());

runStoreContract('embedded (chdb connection)', () =>
  createClickHouseStore({ client: createEmbeddedClient({ dataDir: dir.path }), log: silentLogger(), embedded: true }),
);

describe('embedded store: no session state leaks', () => {
  test('a dedup token does not stick to the chDB session: a later plain client insert is not deduplicated', async () => {
    const client = createEmbeddedClient({ dataDir: dir.path });
    const store = createClickHouseStore({ client, log: silentLogger(), embedded: true });
    try {
      const t = uniqueTable('sticky');
      await store.command(`CREATE TABLE ${t} (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`);
      await store.insert(t, [{ id: 1 }], { dedupToken: 'tok-a' });
      // Same client (= same chDB Session), no token: had the token been SET on the
      // session, this insert would carry it and be dropped as a duplicate.
      await client.insert({ table: t, values: [{ id: 1 }], format: 'JSONEachRow' });
      const rows = await store.query<{ n: string }>(`SELECT count() AS n FROM ${t}`);
      assert.equal(rows[0]!.n, '2');
      const [s] = await store.query<{ tok: string }>("SELECT getSetting('insert_deduplication_token') AS tok");
      assert.equal(s!.tok, '');
    } finally {
      await store.close();
    }
  });

  test('64-bit integers are strings, as from a ClickHouse server', async () => {
    const client = createEmbeddedClient({ dataDir: dir.path });
    try {
      const rs = await client.query({ query: 'SELECT toUInt64(1) AS u, toInt64(-2) AS i', format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ u: '1', i: '-2' }]);
    } finally {
      await client.close();
    }
  });
});
