import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../core/logger.ts';
import { eventually } from '../../../test/helpers/service-process.ts';
import { startSlackReceiver, type SlackReceiver } from '../../../test/helpers/slack-receiver.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { createDeliverer, type Deliverer, type DelivererOptions } from './deliverer.ts';
import { JOURNAL_FILE } from './outbox-journal.ts';
import { openOutbox, type Outbox } from './outbox.ts';

const WAIT = 15_000;
const item = (id: string, receiver = 'slack') => ({ id, receiver, body: { text: `message ${id}` } });

describe('deliverer against a real HTTP receiver', () => {
  let dir: { path: string; cleanup: () => void };
  let rx: SlackReceiver;
  let outbox: Outbox;
  let running: Deliverer[];

  const deliverer = (over: Partial<DelivererOptions> = {}): Deliverer => {
    const d = createDeliverer({
      outbox,
      receivers: [{ name: 'slack', type: 'slack', url: rx.url, allowPrivate: true }],
      log: silentLogger(),
      baseBackoffMs: 20,
      maxBackoffMs: 200,
      timeoutMs: 2000,
      ...over,
    });
    running.push(d);
    d.start();
    return d;
  };
  const stateOf = (id: string) => async () => outbox.get(id)?.state;

  beforeEach(async () => {
    dir = tempDir('deliverer');
    rx = await startSlackReceiver();
    outbox = openOutbox(dir.path);
    running = [];
  });
  afterEach(async () => {
    for (const d of running) await d.stop();
    outbox.close();
    await rx.stop();
    dir.cleanup();
  });

  it('POSTs the JSON body with an Idempotency-Key and records the delivery', async () => {
    outbox.add([item('g1:slack')]);
    const d = deliverer();
    await eventually(stateOf('g1:slack'), (s) => s === 'delivered', WAIT, 'delivered');
    assert.equal(rx.received.length, 1);
    const [req] = rx.received;
    assert.deepEqual(req.body, { text: 'message g1:slack' });
    assert.equal(req.headers['idempotency-key'], 'g1:slack');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.path, new URL(rx.url).pathname);
    assert.equal(outbox.get('g1:slack')!.status, 200);
    assert.deepEqual(d.stats(), { in_flight: 0, delivered: 1, failed: 0, retries: 0, refused: 0 });
  });

  it('kick() sends items added while running', async () => {
    const d = deliverer();
    outbox.add([item('late:slack')]);
    d.kick();
    await eventually(stateOf('late:slack'), (s) => s === 'delivered', WAIT, 'delivered');
  });

  it('honours Retry-After on 429: the next attempt is not sent before it', async () => {
    rx.script({ status: 429, retryAfter: 1, body: 'rate_limited' });
    outbox.add([item('g1:slack')]);
    deliverer();
    await eventually(stateOf('g1:slack'), (s) => s === 'delivered', WAIT, 'delivered');
    assert.deepEqual(rx.received.map((r) => r.status), [429, 200]);
    assert.ok(rx.received[1].at - rx.received[0].at >= 1000, `retried after ${rx.received[1].at - rx.received[0].at} ms`);
    assert.equal(outbox.get('g1:slack')!.last_error, 'HTTP 429: rate_limited');
  });

  it('retries 5xx with backoff until the receiver accepts', async () => {
    rx.script({ status: 500, times: 3 });
    outbox.add([item('g1:slack')]);
    const d = deliverer();
    await eventually(stateOf('g1:slack'), (s) => s === 'delivered', WAIT, 'delivered');
    assert.deepEqual(rx.received.map((r) => r.status), [500, 500, 500, 200]);
    assert.equal(outbox.get('g1:slack')!.attempt, 3);
    assert.equal(d.stats().retries, 3);
    assert.equal(new Set(rx.received.map((r) => r.headers['idempotency-key'])).size, 1);
  });

  it('records a 400 as failed with status and body, and does not retry it', async () => {
    rx.script({ status: 400, body: 'invalid_blocks' });
    outbox.add([item('bad:slack'), item('next:slack')]);
    const d = deliverer();
    await eventually(stateOf('next:slack'), (s) => s === 'delivered', WAIT, 'next delivered');
    const bad = outbox.get('bad:slack')!;
    assert.deepEqual({ state: bad.state, status: bad.status, reason: bad.reason }, { state: 'failed', status: 400, reason: 'HTTP 400: invalid_blocks' });
    assert.equal(rx.received.filter((r) => r.headers['idempotency-key'] === 'bad:slack').length, 1);
    assert.equal(d.stats().failed, 1);
  });

  it('does not follow redirects: a 3xx is a failed delivery', async () => {
    const elsewhere = await startSlackReceiver();
    try {
      rx.script({ redirect: elsewhere.url, status: 307 });
      outbox.add([item('g1:slack'), item('g2:slack')]);
      deliverer();
      await eventually(stateOf('g2:slack'), (s) => s === 'delivered', WAIT, 'second delivered');
      assert.equal(outbox.get('g1:slack')!.state, 'failed');
      assert.match(outbox.get('g1:slack')!.reason!, /redirect not followed/);
      assert.equal(elsewhere.received.length, 0);
    } finally {
      await elsewhere.stop();
    }
  });

  it('refuses private addresses unless the receiver allows them', async () => {
    outbox.add([item('g1:slack'), item('g1:local', 'local')]);
    const d = deliverer({
      receivers: [
        { name: 'slack', type: 'slack', url: rx.url, allowPrivate: false },
        { name: 'local', type: 'webhook', url: rx.url.replace('127.0.0.1', 'localhost'), allowPrivate: false },
      ],
    });
    await eventually(async () => [outbox.get('g1:slack')!.state, outbox.get('g1:local')!.state], (s) => s.every((x) => x === 'failed'), WAIT, 'both refused');
    assert.match(outbox.get('g1:slack')!.reason!, /private, loopback or link-local/);
    assert.match(outbox.get('g1:local')!.reason!, /resolves to a private/);
    assert.equal(rx.received.length, 0);
    assert.equal(d.stats().refused, 2);
  });

  it('refuses non-http schemes', async () => {
    outbox.add([item('g1:slack')]);
    deliverer({ receivers: [{ name: 'slack', type: 'slack', url: 'file:///etc/passwd', allowPrivate: true }] });
    await eventually(stateOf('g1:slack'), (s) => s === 'failed', WAIT, 'refused');
    assert.match(outbox.get('g1:slack')!.reason!, /not http or https/);
  });

  it('retries through a receiver that is down, and keeps per-receiver order', async () => {
    await rx.down();
    outbox.add([item('a:slack'), item('b:slack'), item('c:slack')]);
    deliverer();
    await eventually(async () => outbox.get('a:slack')!.attempt, (n) => n >= 2, WAIT, 'retried while down');
    assert.equal(rx.received.length, 0);
    assert.equal(outbox.get('b:slack')!.attempt, 0, 'later items wait behind the head of the line');
    await rx.up();
    await eventually(async () => outbox.stats().delivered, (n) => n === 3, WAIT, 'all delivered');
    assert.deepEqual(rx.accepted().map((r) => r.headers['idempotency-key']), ['a:slack', 'b:slack', 'c:slack']);
    assert.match(outbox.get('a:slack')!.last_error!, /fetch failed/);
  });

  it('treats connection resets and timeouts as transient', async () => {
    rx.script({ hangUp: true }, { status: 200, delayMs: 1500 });
    outbox.add([item('g1:slack')]);
    deliverer({ timeoutMs: 300 });
    await eventually(stateOf('g1:slack'), (s) => s === 'delivered', WAIT, 'delivered');
    // hang-up, then a timed-out attempt, then success
    assert.equal(outbox.get('g1:slack')!.attempt, 2);
    assert.match(outbox.get('g1:slack')!.last_error!, /timed out after 300 ms/);
  });

  it('gives up after maxAttempts and records why', async () => {
    rx.script({ status: 503, times: 100 });
    outbox.add([item('g1:slack')]);
    deliverer({ maxAttempts: 3 });
    await eventually(stateOf('g1:slack'), (s) => s === 'failed', WAIT, 'gave up');
    assert.equal(rx.received.length, 3);
    assert.match(outbox.get('g1:slack')!.reason!, /^gave up after 3 attempts; last error: HTTP 503/);
  });

  it('fails items whose receiver is no longer configured', async () => {
    outbox.add([item('g1:gone', 'gone')]);
    deliverer();
    await eventually(stateOf('g1:gone'), (s) => s === 'failed', WAIT, 'failed');
    assert.match(outbox.get('g1:gone')!.reason!, /no longer configured/);
  });

  it('never logs or stores the receiver URL', async () => {
    const lines: string[] = [];
    const log: Logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    rx.script({ status: 500 }, { hangUp: true }, { status: 400, body: 'no_text' });
    outbox.add([item('g1:slack'), item('g2:slack')]);
    deliverer({ log });
    await eventually(stateOf('g2:slack'), (s) => s === 'delivered', WAIT, 'delivered');
    assert.ok(lines.length >= 4, `${lines.length} log lines`);
    assert.ok(lines.some((l) => l.includes('"receiver":"slack"')));
    const secret = new URL(rx.url).pathname;
    for (const l of lines) assert.ok(!l.includes(secret) && !l.includes(rx.url), `URL leaked into a log line: ${l}`);
    assert.ok(!readFileSync(join(dir.path, JOURNAL_FILE), 'utf8').includes(secret));
  });

  it('resumes after a restart mid-retry: one accepted payload, nothing lost', async () => {
    rx.script({ status: 500, times: 10_000 });
    outbox.add([item('incident:slack')]);
    const first = deliverer();
    await eventually(async () => outbox.get('incident:slack')!.attempt, (n) => n >= 2, WAIT, 'retrying');
    await first.stop();
    outbox.close();
    const attemptsBefore = rx.received.length;

    outbox = openOutbox(dir.path);
    const restored = outbox.get('incident:slack')!;
    assert.equal(restored.state, 'pending');
    assert.equal(restored.attempt, attemptsBefore);
    assert.equal(restored.last_error, 'HTTP 500: error');

    rx.clearScript(); // the receiver recovers
    deliverer();
    await eventually(stateOf('incident:slack'), (s) => s === 'delivered', WAIT, 'delivered after restart');
    assert.equal(rx.accepted().length, 1);
    assert.deepEqual(rx.accepted()[0].body, { text: 'message incident:slack' });
    assert.equal(rx.received.length, attemptsBefore + 1);
    assert.equal(outbox.stats().pending, 0);
  });
});
