import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { countLogs, kafkaRepeats, sleep, startPipeline, TraceClient, verifyExactlyOnce, type Pipeline } from './kafka-faults-harness.ts';

/**
 * Fault: the Kafka broker goes down for 30 s in the middle of a stream, then comes back.
 * The mock cluster has one broker (replication 1, as the mock offers no leader fail-over),
 * so "down" is a full Kafka outage for ingest, enricher and writer alike.
 *
 * Proves: while the broker is down ingest answers 503 + Retry-After and never a 2xx (a
 * 2xx only after acks=all); a client retrying its 503s after Retry-After with the same
 * trace_ids ends with every event acknowledged; the consumers resume by themselves; every
 * acknowledged event is in ClickHouse exactly once (traces, traces_1m, traces_1h, cost).
 */
const OUTAGE_MS = 30_000;
let p: Pipeline;

before(async () => {
  // A short ack timeout: the 503 comes back before the producer's own retries give up, so
  // publishes that "time out" keep going in the background and may still land (then the
  // client's retry is a repeat the writer must drop).
  p = await startPipeline({ label: 'broker-down', ingestEnv: { INGEST_ACK_TIMEOUT_MS: '5000' } });
});

after(async () => {
  await p?.teardown();
});

test('Kafka broker down for 30 s mid-stream: 503 + Retry-After, then every acknowledged event exactly once', async () => {
  const client = new TraceClient(p.ingestUrl, { feature: 'fault-broker-down', batchSize: 10, concurrency: 3, pauseMs: 300 });
  client.run();
  await client.waitForMoreAcks(300);
  const ackedBeforeDown = client.acknowledged.size;

  const downAt = Date.now();
  await p.kafka.brokerDown(1);
  await sleep(OUTAGE_MS); // the client keeps sending all along
  const upAt = Date.now();
  await p.kafka.brokerUp(1);

  // Stop starting batches; every batch in flight is retried until acknowledged.
  await client.stop(180_000);
  // And fresh traffic flows after the outage.
  await client.sendBatch();
  await client.sendBatch();

  const during = client.answers.filter((a) => a.at > downAt + 2000 && a.at < upAt);
  const firstOkAfterUp = client.answers.find((a) => a.at >= upAt && a.status === 202);
  const ingest = p.services.find((s) => s.name === 'ingest')!;
  const figures = await verifyExactlyOnce(p, client, 'kafka-broker-down-30s', upAt, () => ({
    outage_ms: upAt - downAt,
    acked_before_down: ackedBeforeDown,
    answers_during_outage_503: during.filter((a) => a.status === 503).length,
    answers_during_outage_2xx: during.filter((a) => a.status === 202).length,
    first_2xx_after_up_ms: firstOkAfterUp ? firstOkAfterUp.at - upAt : null,
    slowest_503_ms: client.stats.slowest503Ms,
    ingest_publish_failures_logged: countLogs(ingest, /publish failed; answering 503/),
    ...kafkaRepeats(p, 'fault-broker-down-'),
  }));
  assert.ok(client.stats.responses503 > 0, 'the outage was seen by the client as 503s');
  assert.equal(figures.answers_during_outage_2xx, 0, 'no 2xx while the broker was down');
});
