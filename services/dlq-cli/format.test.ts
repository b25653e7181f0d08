import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DlqEntry } from './dlq-store.ts';
import { cut, formatListJson, formatListTable, formatOutcome, formatSummary, humanSize } from './format.ts';

const entry = (over: Partial<DlqEntry>): DlqEntry => ({
  id: { topic: 'llm.traces.raw', partition: 0, offset: '42' },
  ts: '2026-05-01 11:59:58.123',
  stage: 'enricher',
  errorCode: 'PIPE_DECODE_FAILED',
  reason: 'invalid JSON: Unexpected end of JSON input',
  key: 'trace-1',
  sizeBytes: 512,
  valueSha256: 'ab',
  replays: 0,
  lastReplayedAt: null,
  ...over,
});

test('cut: one line, visible control characters, … when longer', () => {
  assert.equal(cut('short', 10), 'short');
  assert.equal(cut('line one\nline\ttwo', 40), 'line one line two');
  assert.equal(cut('bell\u0007esc\u001b[2J', 40), 'bell?esc?[2J');
  assert.equal(cut('abcdefghij', 5), 'abcd…');
  assert.equal(cut('ééééé', 5), 'ééééé');
});

test('humanSize', () => {
  assert.equal(humanSize(0), '0 B');
  assert.equal(humanSize(1023), '1023 B');
  assert.equal(humanSize(1536), '1.5 KiB');
  assert.equal(humanSize(10 * 1024 * 1024), '10.0 MiB');
});

test('table: aligned columns, cut reasons, - for no key, replay count', () => {
  const text = formatListTable([
    entry({}),
    entry({
      id: { topic: 'llm.traces.enriched', partition: 11, offset: '1234567' },
      key: '',
      errorCode: 'PIPE_UNKNOWN_SCHEMA_ID',
      reason: 'unknown schema id 999 for subject "trace-event" (see schemas/avro/registry.json)',
      sizeBytes: 10 * 1024 * 1024,
      replays: 2,
    }),
  ]);
  assert.equal(
    text,
    [
      'TIME (UTC)           ID (topic:partition:offset)     KEY      REASON                                                            SIZE  REPLAYED',
      '2026-05-01 11:59:58  llm.traces.raw:0:42             trace-1  PIPE_DECODE_FAILED: invalid JSON: Unexpected end of JSON in…     512 B',
      '2026-05-01 11:59:58  llm.traces.enriched:11:1234567  -        PIPE_UNKNOWN_SCHEMA_ID: unknown schema id 999 for subject "…  10.0 MiB  2×',
      '',
    ].join('\n'),
  );
});

test('JSON lines: full reason, exact ids, ISO times', () => {
  const lines = formatListJson([entry({ reason: 'x'.repeat(500), replays: 1, lastReplayedAt: '2026-05-01 12:00:00.000' }), entry({ id: { topic: 't', partition: 1, offset: '9223372036854775807' } })])
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines[0], {
    id: 'llm.traces.raw:0:42',
    ts: '2026-05-01T11:59:58.123Z',
    stage: 'enricher',
    source_topic: 'llm.traces.raw',
    source_partition: 0,
    source_offset: 42,
    key: 'trace-1',
    error_code: 'PIPE_DECODE_FAILED',
    reason: 'x'.repeat(500),
    size_bytes: 512,
    replays: 1,
    last_replayed_at: '2026-05-01T12:00:00.000Z',
  });
  assert.equal(lines[1]!.source_offset, '9223372036854775807');
  assert.equal(lines[1]!.id, 't:1:9223372036854775807');
  assert.equal(formatListJson([]), '');
});

test('replay lines and summary', () => {
  assert.equal(formatOutcome({ id: 'raw:0:1', status: 'replayed', detail: 'llm.traces.raw' }), 'replayed      raw:0:1 → llm.traces.raw\n');
  assert.equal(formatOutcome({ id: 'raw:0:2', status: 'failed', detail: 'the value is Avro' }), 'FAILED        raw:0:2: the value is Avro\n');
  assert.equal(formatOutcome({ id: 'raw:0:3', status: 'replayed', detail: 'raw', warning: 'not recorded' }), 'replayed      raw:0:3 → raw  WARNING: not recorded\n');
  const s = { outcomes: [], replayed: 2, wouldReplay: 0, skipped: 1, failed: 1, warnings: 0, notAttempted: 3 };
  assert.equal(
    formatSummary(s, { dryRun: false, via: 'Kafka at k:9092' }),
    'replayed 2 (via Kafka at k:9092), skipped 1 already replayed (--force to replay again), failed 1\n3 more matching dead letter(s) not attempted (--limit); run again to continue\n',
  );
  assert.equal(formatSummary({ ...s, wouldReplay: 4, skipped: 0, failed: 0, notAttempted: 0 }, { dryRun: true, via: '' }), 'dry run: would replay 4, skipped 0 already replayed, failed 0\n');
});
