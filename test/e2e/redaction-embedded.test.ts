import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { clickhouseSql } from '../helpers/clickhouse-sql.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * PII redaction end to end on the embedded default: with REDACT_FEATURES=support-*, an
 * e-mail address, a card number and an API key in a support trace never reach
 * ClickHouse; the counts per kind are queryable; another feature's text is untouched;
 * a bad REDACT_* variable stops the start naming it.
 */
const dir = tempDir('e2e-redaction');
let pipeline: EmbeddedPipeline;
const sql = clickhouseSql(() => pipeline.clickhouseUrl);
const now = Date.now();
const SECRET_TEXT = 'Mail me at jane.doe@example.com, card 4111 1111 1111 1111, key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';

before(async () => {
  const config = loadConfig({ DATA_DIR: join(dir.path, 'data'), PORT: '0', CLICKHOUSE_HTTP_PORT: '0', REDACT_FEATURES: 'support-*', ANOMALY_ENABLED: 'false' });
  pipeline = await startEmbeddedPipeline(config, silentLogger());
});
after(async () => {
  await pipeline?.stop();
  dir.cleanup();
});

test('personal data in an opted-in feature is redacted before ClickHouse, and counted', async () => {
  const traces = [
    { trace_id: 'pii-1', timestamp: now - 1000, model: 'gpt-4o-mini', feature: 'support-chat', input: SECRET_TEXT, output: 'ok', metadata: { customer: 'jane.doe@example.com' } },
    { trace_id: 'pii-2', timestamp: now - 1000, model: 'gpt-4o-mini', feature: 'search', input: SECRET_TEXT },
  ];
  const res = await fetch(`${pipeline.apiUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ traces }) });
  assert.equal(res.status, 202, await res.text());
  const rows = await sql(`SELECT trace_id, input, metadata FROM traces ORDER BY trace_id`);
  const [support, search] = rows;
  assert.doesNotMatch(support.input, /jane\.doe|4111|sk-proj/);
  assert.match(support.input, /\[REDACTED:email\].*\[REDACTED:card\].*\[REDACTED:secret\]/);
  assert.equal(support.metadata.customer, '[REDACTED:email]');
  assert.equal(support.metadata['pii_redacted.email'], '2');
  assert.equal(support.metadata['pii_redacted.card'], '1');
  assert.equal(search.input, SECRET_TEXT, 'features not opted in are stored as sent');
  const [counts] = await sql(`SELECT sum(toUInt32OrZero(metadata['pii_redacted.email'])) AS emails FROM traces`);
  assert.equal(Number(counts.emails), 2);
});

test('a bad REDACT_* variable refuses to start, naming it', async () => {
  const config = loadConfig({ DATA_DIR: join(dir.path, 'other'), PORT: '0', CLICKHOUSE_HTTP_PORT: '0', REDACT_FEATURES: '*', REDACT_KINDS: 'email,ssn' });
  await assert.rejects(startEmbeddedPipeline(config, silentLogger()), /REDACT_KINDS/);
});
