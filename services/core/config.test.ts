import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';

test('defaults give the embedded quick start', () => {
  const c = loadConfig({});
  assert.equal(c.HOST, '127.0.0.1');
  assert.equal(c.PORT, 3000);
  assert.equal(c.CLICKHOUSE_HTTP_PORT, 8123);
  assert.equal(c.DATA_DIR, './data');
  assert.equal(c.KAFKA_BROKERS, undefined);
});

test('every bad variable is reported at once, by name', () => {
  assert.throws(
    () => loadConfig({ PORT: 'abc', WRITER_BATCH_SIZE: '0', CLICKHOUSE_URL: 'not a url', LOG_LEVEL: 'loud' }),
    (err: Error) => ['PORT', 'WRITER_BATCH_SIZE', 'CLICKHOUSE_URL', 'LOG_LEVEL'].every((v) => err.message.includes(`${v}:`)),
  );
});

test('lists are split on commas and empty values mean unset', () => {
  const c = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9092', PORT: '' });
  assert.deepEqual(c.KAFKA_BROKERS, ['a:9092', 'b:9092']);
  assert.equal(c.PORT, 3000);
});
