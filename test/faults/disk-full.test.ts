import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { allInOne, type AllInOne } from './support/all-in-one.ts';
import { expectedPicoOf, makeEvents, RetryingClient } from './support/traffic.ts';
import { assertExact, printFigures, settledTotals } from './support/totals.ts';
import { eventually } from '../helpers/service-process.ts';
import { smallFilesystem, type SmallFilesystem } from '../helpers/small-filesystem.ts';

/**
 * Disk full under DATA_DIR (issue 16): `npm start` runs on a 256 MiB tmpfs of the test's
 * own while two retrying clients send 20,000 events; part-way, a ballast file fills the
 * filesystem to its last page. ClickHouse then refuses every insert (NOT_ENOUGH_SPACE):
 * the requests in flight get 503 after the acknowledgement timeout, and from the first
 * failed insert on, ingest answers 503 `storage_full` + Retry-After at once, naming the
 * disk. The process stays up. When the ballast is removed the pipeline recovers by itself
 * (no restart): the writer's retried batch goes in, the clients' resends are taken, and
 * every event that got a 202 is counted exactly once in traces and both rollups.
 */
let fs: SmallFilesystem | null = null;
let a: AllInOne | null = null;
after(async () => {
  await a?.shutdown();
  fs?.cleanup();
});

test('DATA_DIR fills up during ingest: 503 storage_full, nothing acknowledged lost, recovers when space returns', { timeout: 300_000 }, async () => {
  fs = smallFilesystem('data-dir', 256);
  a = await allInOne('disk-full', { dataDir: `${fs.path}/data` });
  await a.start({ INGEST_ACK_TIMEOUT_MS: '5000' });
  const client = new RetryingClient(() => a!.apiUrl);
  const events = makeEvents('diskfull', 20_000, 16);
  const stream = client.stream(events, { batchSize: 200, pauseMs: 50, concurrency: 2 });

  await eventually(async () => client.acknowledged.size, (n) => n >= 4_000, 60_000, '4,000 events acknowledged before the disk fills');
  const filledAt = Date.now();
  const ballast = fs.fill();
  const ackedAtFill = client.acknowledged.size;
  await eventually(async () => client.stats.unavailableBy.storage_full?.count ?? 0, (n) => n >= 3, 60_000, 'ingest answering 503 storage_full');
  const full = client.stats.unavailableBy.storage_full;
  const firstRefusalMs = full.firstAt - filledAt;
  assert.equal(full.retryAfter, '10');
  assert.match(full.message, /disk is full .*NOT_ENOUGH_SPACE.*nothing from this request was stored/);
  await new Promise((r) => setTimeout(r, 3_000)); // full for a while longer
  assert.equal(a.process!.child.exitCode, null, 'the pipeline is still running');
  assert.equal(a.process!.child.signalCode, null);
  const ackedWhileFull = client.acknowledged.size - ackedAtFill;

  fs.release();
  const releasedAt = Date.now();
  const ackedAtRelease = client.acknowledged.size;
  await eventually(async () => client.acknowledged.size, (n) => n > ackedAtRelease, 60_000, 'a 202 after space returned');
  const recoverMs = Date.now() - releasedAt;
  await stream.done;
  assert.equal(client.acknowledged.size, events.length);

  const acked = events.filter((e) => client.acknowledged.has(e.trace_id));
  const { totals } = await settledTotals(a.sql, acked.length, { timeoutMs: 120_000, rollupWaitMs: 30_000 });
  assertExact(totals, { n: acked.length, pico: expectedPicoOf(acked) });
  const s = client.stats;
  console.log(
    `disk full: ${(ballast / 2 ** 20).toFixed(0)} MiB ballast after ${ackedAtFill} acknowledged; ${ackedWhileFull} acknowledged after the fill (their inserts found room before the first failed one); ` +
      `503s ${JSON.stringify(Object.fromEntries(Object.entries(s.unavailableBy).map(([k, v]) => [k, v.count])))}; first storage_full within ${firstRefusalMs} ms; first 202 ${recoverMs} ms after space returned`,
  );
  printFigures('disk full under DATA_DIR (embedded)', events.length, acked.length, totals, recoverMs);
});
