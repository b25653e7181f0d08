import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { JOURNAL_FILE } from './outbox-journal.ts';
import { openOutbox, type Outbox } from './outbox.ts';

const item = (id: string, receiver = 'slack-main') => ({ id, receiver, body: { text: `message ${id}`, blocks: [] } });
const lines = (dir: string) => readFileSync(join(dir, JOURNAL_FILE), 'utf8').split('\n').filter(Boolean);

describe('outbox', () => {
  let dir: { path: string; cleanup: () => void };
  let open: Outbox[];
  let t: number;
  const openHere = (opts: Parameters<typeof openOutbox>[1] = {}) => {
    const o = openOutbox(dir.path, { now: () => t, ...opts });
    open.push(o);
    return o;
  };
  beforeEach(() => {
    dir = tempDir('outbox');
    open = [];
    t = 1_000_000;
  });
  afterEach(() => {
    for (const o of open) o.close();
    dir.cleanup();
  });

  it('adds items once: a known id, pending or done, is a no-op', () => {
    const o = openHere();
    assert.deepEqual(o.add([item('g1:a'), item('g2:a'), item('g1:a')]), ['g1:a', 'g2:a']);
    assert.deepEqual(o.add([item('g1:a'), item('g3:a')]), ['g3:a']);
    o.markDelivered('g1:a', 200);
    assert.deepEqual(o.add([item('g1:a')]), []);
    assert.deepEqual(o.stats(), { pending: 2, delivered: 1, failed: 0, journal_records: 4, compactions: 0, compaction_failures: 0, skipped_lines: 0 });
  });

  it('gives due items oldest first and knows the next due time', () => {
    const o = openHere();
    o.add([item('a:r'), item('b:r'), item('c:r')]);
    o.markAttempt('a:r', 1, t + 5000, 'HTTP 500');
    assert.deepEqual(o.due(t).map((i) => i.id), ['b:r', 'c:r']);
    assert.deepEqual(o.due(t + 5000).map((i) => i.id), ['a:r', 'b:r', 'c:r']);
    assert.equal(o.nextDueAt(), t);
    o.markDelivered('b:r', 200);
    o.markFailed('c:r', 'HTTP 400: invalid_payload', 400);
    assert.equal(o.nextDueAt(), t + 5000);
    assert.deepEqual(o.pending().map((i) => i.id), ['a:r']);
  });

  it('ignores marks for unknown or finished items', () => {
    const o = openHere();
    o.add([item('a:r')]);
    o.markDelivered('a:r', 200);
    o.markFailed('a:r', 'late');
    o.markAttempt('a:r', 3, t, 'late');
    o.markDelivered('nope', 200);
    const a = o.get('a:r')!;
    assert.equal(a.state, 'delivered');
    assert.equal(a.reason, null);
    assert.equal(a.attempt, 0);
    assert.equal(o.get('nope'), undefined);
  });

  it('restores pending items with attempt count, next_at, last error and body after a reopen', () => {
    const o = openHere();
    o.add([item('a:r'), item('b:r'), item('c:r')]);
    o.markAttempt('a:r', 3, t + 60_000, 'HTTP 503');
    o.markDelivered('b:r', 200);
    o.markFailed('c:r', 'HTTP 404: no_service', 404);
    o.close();

    const again = openHere();
    const a = again.get('a:r')!;
    assert.deepEqual(
      { state: a.state, attempt: a.attempt, next_at: a.next_at, last_error: a.last_error, body: a.body },
      { state: 'pending', attempt: 3, next_at: t + 60_000, last_error: 'HTTP 503', body: item('a:r').body },
    );
    assert.equal(again.get('b:r')!.state, 'delivered');
    const c = again.get('c:r')!;
    assert.deepEqual({ state: c.state, status: c.status, reason: c.reason }, { state: 'failed', status: 404, reason: 'HTTP 404: no_service' });
    // re-processing the same alerts after the restart sends nothing new
    assert.deepEqual(again.add([item('a:r'), item('b:r'), item('c:r')]), []);
    assert.deepEqual(again.stats().pending, 1);
  });

  it('compacts when the journal grows: one snapshot line per item, same state after reopen', () => {
    const o = openHere({ compactAfterRecords: 10 });
    o.add([item('a:r'), item('b:r')]);
    for (let n = 1; n <= 25; n++) o.markAttempt('a:r', n, t + n * 1000, `HTTP 500 #${n}`);
    o.markDelivered('b:r', 200);
    assert.ok(o.stats().compactions >= 2, JSON.stringify(o.stats()));
    assert.ok(lines(dir.path).length < 12, `${lines(dir.path).length} lines after compaction`);
    o.compact();
    assert.equal(lines(dir.path).length, 3); // header + two items
    const before = o.list();
    o.close();
    const again = openHere();
    assert.deepEqual(again.list(), before);
    assert.equal(again.get('a:r')!.attempt, 25);
    // delivered items keep only their id after compaction: enough to dedupe
    assert.equal(again.get('b:r')!.body, null);
    assert.deepEqual(again.add([item('b:r')]), []);
  });

  it('forgets finished ids after the retention period, keeping pending ones forever', () => {
    const o = openHere({ retainDoneMs: 60_000 });
    o.add([item('old:r'), item('stuck:r')]);
    o.markDelivered('old:r', 200);
    t += 120_000;
    o.compact();
    assert.equal(o.get('old:r'), undefined);
    assert.equal(o.get('stuck:r')!.state, 'pending');
    assert.deepEqual(o.add([item('old:r')]), ['old:r']);
  });

  it('survives a torn last line from a crash mid-write', () => {
    const o = openHere();
    o.add([item('a:r')]);
    o.markAttempt('a:r', 1, t + 1000, 'HTTP 500');
    o.close();
    appendFileSync(join(dir.path, JOURNAL_FILE), '{"t":"delivered","id":"a:r","sta');
    const again = openHere();
    assert.equal(again.get('a:r')!.state, 'pending');
    assert.equal(again.get('a:r')!.attempt, 1);
    assert.equal(again.stats().skipped_lines, 1);
    for (const l of lines(dir.path)) JSON.parse(l); // rewritten clean
  });

  it('refuses a journal from a newer format', () => {
    writeFileSync(join(dir.path, JOURNAL_FILE), `${JSON.stringify({ t: 'header', version: 99, at: 0 })}\n`);
    assert.throws(() => openHere(), /version 99/);
    // the failed open released its lock
    writeFileSync(join(dir.path, JOURNAL_FILE), '');
    openHere();
  });

  it('is single-writer: a second open of the same directory is refused until close', () => {
    const o = openHere();
    assert.throws(() => openOutbox(dir.path), /already open/);
    o.close();
    openHere().close();
  });

  it('refuses writes after close', () => {
    const o = openHere();
    o.close();
    assert.throws(() => o.add([item('a:r')]), /closed/);
  });
});
