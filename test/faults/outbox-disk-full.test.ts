import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../services/core/logger.ts';
import { alertsFileSchema } from '../../services/anomaly/config/alerts-file.ts';
import { createNotifier, type Notifier } from '../../services/anomaly/notify/notifier.ts';
import { openOutbox } from '../../services/anomaly/notify/outbox.ts';
import { JOURNAL_FILE, readJournal } from '../../services/anomaly/notify/outbox-journal.ts';
import { alertEvent, alertGroup, T0 } from '../support/anomaly/alert-events.ts';
import { eventually } from '../helpers/service-process.ts';
import { smallFilesystem, type SmallFilesystem } from '../helpers/small-filesystem.ts';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.ts';

/**
 * Disk full under the alert outbox (issue 16), on a 1 MiB tmpfs of the test's own: while
 * the disk is full, queueing an alert fails with ENOSPC (the anomaly service keeps that
 * minute queued and tries again at its next tick) and the journal is left exactly as it
 * was, not torn; when space returns the alert is queued and delivered once, and the
 * journal reopens with every record readable.
 */
const big = (n: number) => ({ text: 'x'.repeat(n) });

describe('alert outbox on a full disk', () => {
  let fs: SmallFilesystem;
  beforeEach(() => {
    fs = smallFilesystem('outbox', 1);
  });
  afterEach(() => fs.cleanup());

  it('a write that fails part-way leaves the journal as it was; the next one is intact', () => {
    const dir = join(fs.path, 'outbox');
    const o = openOutbox(dir);
    o.add([{ id: 'a:slack', receiver: 'slack', body: big(100) }]);
    const journal = join(dir, JOURNAL_FILE);
    const before = statSync(journal).size;

    fs.fill(); // less than a page is left: the journal's last page still has room, so a big record is written in part, then ENOSPC
    assert.throws(() => o.add([{ id: 'b:slack', receiver: 'slack', body: big(64 * 1024) }]), /ENOSPC|no space/i);
    assert.equal(statSync(journal).size, before, 'the torn part was cut off');
    assert.equal(o.get('b:slack'), undefined, 'nothing half-queued');
    assert.equal(o.stats().pending, 1);

    o.add([{ id: 'c:slack', receiver: 'slack', body: big(10) }]); // small: fits into the page's slack even now
    fs.release();
    o.add([{ id: 'b:slack', receiver: 'slack', body: big(64 * 1024) }]);
    o.close();

    const read = readJournal(journal);
    assert.equal(read.skipped, 0, 'every line of the journal parses');
    const again = openOutbox(dir);
    assert.deepEqual(
      again.pending().map((i) => i.id),
      ['a:slack', 'c:slack', 'b:slack'],
    );
    assert.equal(again.stats().skipped_lines, 0);
    again.close();
  });

  it('opens on a full disk (its compaction at open fails and is retried later, not on every write)', () => {
    const dir = join(fs.path, 'outbox');
    const o = openOutbox(dir, { compactAfterRecords: 1000 });
    o.add([{ id: 'a:slack', receiver: 'slack', body: big(200 * 1024) }]);
    o.close();

    fs.fill();
    const failures: string[] = [];
    const full = openOutbox(dir, { compactAfterRecords: 1000, onCompactionError: (e) => failures.push(e.message) });
    assert.deepEqual(full.pending().map((i) => i.id), ['a:slack'], 'the journal was read');
    assert.equal(full.stats().compaction_failures, 1);
    assert.match(failures[0], /ENOSPC|no space/i);
    full.markDelivered('a:slack', 200); // a small record: fits the last page
    assert.equal(full.stats().compaction_failures, 1, 'no rewrite at the first write after a failure (the next try waits for 2 records)');

    fs.release();
    full.compact();
    assert.equal(full.stats().journal_records, 0);
    full.close();
    const again = openOutbox(dir);
    assert.equal(again.get('a:slack')?.state, 'delivered');
    again.close();
  });

  describe('notifier and deliverer', () => {
    let slack: SlackReceiver;
    let notifiers: Notifier[];
    beforeEach(async () => {
      slack = await startSlackReceiver();
      notifiers = [];
    });
    afterEach(async () => {
      for (const n of notifiers) await n.stop();
      await slack.stop();
    });

    const file = alertsFileSchema.parse({
      version: 1,
      receivers: [{ name: 'hook', type: 'webhook', url_env: 'HOOK_URL', allow_private: true }],
      routes: [{ match: {}, receivers: ['hook'] }],
    });
    const start = () => {
      const n = createNotifier({ outboxDir: join(fs.path, 'outbox'), file, env: { HOOK_URL: slack.url }, log: silentLogger(), deliverer: { baseBackoffMs: 20, maxBackoffMs: 200 } });
      notifiers.push(n);
      n.start();
      return n;
    };
    // Twelve features at once: a webhook message of ~8.5 KB, more than the page of room the journal may still have.
    const firing = Array.from({ length: 12 }, (_, i) => alertEvent({ key: { metric: 'error_rate', feature: `feature-${i}` }, state: 'firing', value: 0.3, expected: 0.01, at: T0 + 5 * 60_000 }));
    const group = alertGroup(firing, { group_id: 'g-error-rate-12' });

    it('refuses to queue while the disk is full, then delivers once when space returns, also across a restart', async () => {
      let n = start();
      fs.fill();
      await assert.rejects(n.notify([group]), /ENOSPC|no space/i);
      assert.equal(n.stats().outbox.pending, 0);
      await assert.rejects(n.notify([group]), /ENOSPC|no space/i, 'the anomaly service retries the minute: still full');

      fs.release();
      await n.notify([group]); // the retried minute
      await eventually(async () => n.stats().outbox.delivered, (d) => d === 1, 15_000, 'delivered after space returned');
      await n.stop();
      notifiers.pop();

      n = start(); // the same minute judged again after a restart: already delivered
      await n.notify([group]);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(slack.accepted().length, 1, 'one message in all');
      assert.deepEqual(n.stats().outbox, { ...n.stats().outbox, pending: 0, delivered: 1, skipped_lines: 0 });
    });
  });
});
