import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError, formatDlqId, parseDlqArgs, parseDlqId, parseSince } from './args.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const usage = (argv: string[], pattern: RegExp) => assert.throws(() => parseDlqArgs(argv, NOW), (e: unknown) => e instanceof UsageError && pattern.test(e.message));

test('--since: durations before now, ISO dates and times (UTC unless a zone is given)', () => {
  assert.equal(parseSince('1h', NOW).toISOString(), '2026-05-01T11:00:00.000Z');
  assert.equal(parseSince('30m', NOW).toISOString(), '2026-05-01T11:30:00.000Z');
  assert.equal(parseSince('45s', NOW).toISOString(), '2026-05-01T11:59:15.000Z');
  assert.equal(parseSince('7d', NOW).toISOString(), '2026-04-24T12:00:00.000Z');
  assert.equal(parseSince('2w', NOW).toISOString(), '2026-04-17T12:00:00.000Z');
  assert.equal(parseSince('2026-04-30', NOW).toISOString(), '2026-04-30T00:00:00.000Z');
  assert.equal(parseSince('2026-04-30T08:15:00', NOW).toISOString(), '2026-04-30T08:15:00.000Z');
  assert.equal(parseSince('2026-04-30 08:15:00', NOW).toISOString(), '2026-04-30T08:15:00.000Z');
  assert.equal(parseSince('2026-04-30T08:15:00+02:00', NOW).toISOString(), '2026-04-30T06:15:00.000Z');
  for (const bad of ['yesterday', '1y', '-1h', '2026-13-45', '']) assert.throws(() => parseSince(bad, NOW), UsageError, bad);
});

test('ids are topic:partition:offset, exact for int64 offsets', () => {
  assert.deepEqual(parseDlqId('llm.traces.raw:3:1042'), { topic: 'llm.traces.raw', partition: 3, offset: '1042' });
  assert.deepEqual(parseDlqId('t:0:9223372036854775807'), { topic: 't', partition: 0, offset: '9223372036854775807' });
  assert.equal(formatDlqId(parseDlqId('llm.dlq:0:007')), 'llm.dlq:0:7');
  for (const bad of ['llm.traces.raw:3', 'raw:-1:4', 'raw:1:x', 'bad topic:0:1', 't:0:9223372036854775808', 't:2147483648:1']) {
    assert.throws(() => parseDlqId(bad), UsageError, bad);
  }
});

test('list: defaults and every option', () => {
  assert.deepEqual(parseDlqArgs(['list'], NOW), { command: 'list', filter: {}, limit: 50, json: false });
  assert.deepEqual(parseDlqArgs(['list', '--since', '1h', '--reason', 'schema id', '--topic', 'llm.traces.raw', '--limit=5', '--json'], NOW), {
    command: 'list',
    filter: { since: new Date(NOW - 3_600_000), reason: 'schema id', topic: 'llm.traces.raw' },
    limit: 5,
    json: true,
  });
});

test('replay: ids in any form, flags, and no replay of "everything" by omission', () => {
  const cmd = parseDlqArgs(['replay', '--id', 'raw:0:1', 'raw:0:2,raw:1:3', '--id=raw:0:1', '--dry-run', '--force', '--to-topic', 'llm.traces.raw'], NOW);
  assert.deepEqual(cmd, {
    command: 'replay',
    filter: {
      ids: [
        { topic: 'raw', partition: 0, offset: '1' },
        { topic: 'raw', partition: 0, offset: '2' },
        { topic: 'raw', partition: 1, offset: '3' },
      ],
    },
    limit: 1000,
    dryRun: true,
    force: true,
    toTopic: 'llm.traces.raw',
  });
  assert.deepEqual(parseDlqArgs(['replay', '--reason', 'schema'], NOW), { command: 'replay', filter: { reason: 'schema' }, limit: 1000, dryRun: false, force: false });
  usage(['replay'], /choose the dead letters with --id, --reason, --since or --topic/);
  usage(['replay', '--force'], /choose the dead letters/);
});

test('usage errors name the problem', () => {
  assert.deepEqual(parseDlqArgs([], NOW), { command: 'help' });
  assert.deepEqual(parseDlqArgs(['list', '--help'], NOW), { command: 'help' });
  usage(['purge'], /unknown command "purge"/);
  usage(['list', '--dry-run'], /list: unknown option --dry-run/);
  usage(['list', '--to-topic', 'x'], /list: unknown option --to-topic/);
  usage(['list', 'extra'], /unexpected argument "extra"/);
  usage(['list', '--limit', '0'], /--limit "0" must be a whole number from 1 to 100000/);
  usage(['list', '--limit', '1e3'], /--limit/);
  usage(['list', '--limit'], /--limit needs a value/);
  usage(['list', '--reason', '--json'], /--reason needs a value/);
  usage(['list', '--reason', ' '], /--reason must not be empty/);
  usage(['list', '--since', '1h', '--since', '2h'], /--since given twice/);
  usage(['list', '--json=yes'], /--json takes no value/);
  usage(['list', '--topic', 'a b'], /not a Kafka topic name/);
  usage(['replay', '--id', 'nope'], /--id "nope" is not topic:partition:offset/);
});
