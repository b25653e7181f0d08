import { after, before, test } from 'node:test';
import { eventually } from '../helpers/service-process.ts';
import { kafkaRepeats, startPipeline, TraceClient, verifyExactlyOnce, waitCaughtUp, type Pipeline } from './kafka-faults-harness.ts';

/**
 * Fault: Kafka answers requests with errors. While events stream in, the mock cluster
 * fails the next Produce, Fetch, OffsetCommit and JoinGroup requests (whoever sends them:
 * ingest, enricher, writer) with NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT,
 * COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR. JoinGroup is reached by making the members
 * rejoin (a heartbeat answered REBALANCE_IN_PROGRESS).
 *
 * Proves: traffic flows through every fault (retries, metadata refreshes, coordinator
 * look-ups, rejoins), a 2xx is only given for events Kafka took, and every acknowledged
 * event is in traces, traces_1m and traces_1h exactly once, cost exact.
 */
let p: Pipeline;
let client: TraceClient;
const injected: Record<string, number> = {};
/** Per fault: ms from queueing the errors until every event acknowledged by then was stored. */
const recovered: Record<string, number> = {};

/** kafkajs logs a failed response as `Response <Api>(key: …)`; counts them in every service's log. */
const responseErrors = (api: string) => p.services.reduce((n, s) => n + s.logs.filter((l) => l.includes(`"msg":"Response ${api}(`)).length, 0);

/** Queues `errs` for the next requests of `api`, then waits for traffic (and the errors) to pass. */
async function inject(api: string, errs: string[], trigger?: () => Promise<void>) {
  const before = responseErrors(api);
  await p.kafka.pushErrors(api, errs);
  injected[api] = (injected[api] ?? 0) + errs.length;
  const t0 = Date.now();
  await trigger?.();
  // The queued errors are consumed by the next requests of that API (kafkajs logs each
  // failed response); then traffic must flow on through ingest, enricher and writer.
  await eventually(async () => responseErrors(api) - before, (n) => n >= 1, 60_000, `a ${api} error seen by a client`);
  await client.waitForMoreAcks(50, 90_000);
  await waitCaughtUp(p, client);
  const key = `${api}:${[...new Set(errs)].join('+')}`;
  recovered[key] = Date.now() - t0;
}

before(async () => {
  p = await startPipeline({ label: 'request-errors' });
  client = new TraceClient(p.ingestUrl, { feature: 'fault-request-errors', batchSize: 10, concurrency: 1, pauseMs: 400 });
  client.run();
  await client.waitForMoreAcks(100);
});

after(async () => {
  await p?.teardown();
});

// Each API gets a short mixed queue: every error that makes a consumer rejoin costs a
// rebalance, which the mock coordinator holds for session timeout - 1 s (29 s).
test('Produce fails with NOT_LEADER_FOR_PARTITION and REQUEST_TIMED_OUT', async () => {
  await inject('Produce', ['NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT', 'NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT', 'NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT']);
});

test('Fetch fails with NOT_LEADER_FOR_PARTITION and REQUEST_TIMED_OUT', async () => {
  await inject('Fetch', ['NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT']);
});

test('OffsetCommit fails with COORDINATOR_NOT_AVAILABLE, REQUEST_TIMED_OUT and NOT_COORDINATOR', async () => {
  await inject('OffsetCommit', ['COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_NOT_AVAILABLE', 'REQUEST_TIMED_OUT', 'REQUEST_TIMED_OUT', 'NOT_COORDINATOR']);
});

test('JoinGroup fails with COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR during a forced rejoin', async () => {
  await inject('JoinGroup', ['COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR'], () => p.kafka.pushErrors('Heartbeat', ['REBALANCE_IN_PROGRESS', 'REBALANCE_IN_PROGRESS']));
});

test('every acknowledged event is stored exactly once', async () => {
  await client.stop();
  // Let any queued error that no request consumed go, so it cannot hit the checks.
  for (const api of ['Produce', 'Fetch', 'OffsetCommit', 'JoinGroup', 'Heartbeat']) await p.kafka.ok(`clear_errors ${api}`);
  await verifyExactlyOnce(p, client, 'kafka-request-errors', null, () => ({
    recover_ms: Math.max(...Object.values(recovered)),
    recovered_ms_by_fault: recovered,
    injected,
    error_responses_logged: Object.fromEntries(['Produce', 'Fetch', 'OffsetCommit', 'JoinGroup', 'Heartbeat'].map((a) => [a, responseErrors(a)])),
    ...kafkaRepeats(p, 'fault-request-errors-'),
  }));
});
