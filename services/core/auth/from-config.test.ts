import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startService } from '../../../test/helpers/service-process.ts';
import { loadConfig } from '../config.ts';
import { assertSafeBinding, authFromConfig, isLoopbackHost, loadApiKeys } from './from-config.ts';
import { ApiKeyStore, hashApiKey } from './keys.ts';

const noKeys = new ApiKeyStore();
const oneKey = new ApiKeyStore([{ name: 'app-1', scopes: ['ingest'], sha256: hashApiKey('k') }]);

describe('config keys', () => {
  it('default to no keys, loopback, refusal on, 6000 requests/min', () => {
    const c = loadConfig({});
    assert.equal(c.HOST, '127.0.0.1');
    assert.equal(c.API_KEYS_FILE, undefined);
    assert.equal(c.API_KEYS, undefined);
    assert.equal(c.ALLOW_UNAUTHENTICATED, false);
    assert.equal(c.RATE_LIMIT_PER_MINUTE, 6000);
    assert.equal(loadConfig({ ALLOW_UNAUTHENTICATED: 'true', RATE_LIMIT_PER_MINUTE: '0' }).RATE_LIMIT_PER_MINUTE, 0);
    assert.throws(() => loadConfig({ ALLOW_UNAUTHENTICATED: 'yes' }), /ALLOW_UNAUTHENTICATED/);
    assert.throws(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '-1' }), /RATE_LIMIT_PER_MINUTE/);
  });
});

describe('isLoopbackHost', () => {
  it('knows which addresses only this machine can reach', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '127.0.0.1.evil.com', '::ffff:10.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });
});

describe('assertSafeBinding', () => {
  it('lets loopback run without keys', () => {
    assert.doesNotThrow(() => assertSafeBinding({ HOST: '127.0.0.1', ALLOW_UNAUTHENTICATED: false }, noKeys));
    assert.doesNotThrow(() => assertSafeBinding({ HOST: 'localhost', ALLOW_UNAUTHENTICATED: false }, noKeys));
  });

  it('refuses any other address without keys, saying why and how to fix it', () => {
    for (const HOST of ['0.0.0.0', '::', '10.1.2.3']) {
      assert.throws(
        () => assertSafeBinding({ HOST, ALLOW_UNAUTHENTICATED: false }, noKeys),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'PIPE_CONFIG_INVALID');
          assert.match(err.message, new RegExp(`refusing to listen on HOST=${HOST.replace(/\./g, '\\.')} without API keys`));
          assert.match(err.message, /API_KEYS_FILE/);
          assert.match(err.message, /ALLOW_UNAUTHENTICATED=true/);
          assert.match(err.message, /npm run apikey -- create/);
          return true;
        },
      );
    }
  });

  it('allows other addresses with keys, or with ALLOW_UNAUTHENTICATED=true', () => {
    assert.doesNotThrow(() => assertSafeBinding({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: false }, oneKey));
    assert.doesNotThrow(() => assertSafeBinding({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: true }, noKeys));
  });
});

describe('loading keys from the config', () => {
  it('merges API_KEYS_FILE and API_KEYS; an empty file counts as no keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      const file = join(dir, 'keys.json');
      writeFileSync(file, JSON.stringify([{ name: 'app-1', scopes: ['ingest'], sha256: hashApiKey('a') }]));
      const keys = loadApiKeys({ API_KEYS_FILE: file, API_KEYS: `ops:admin:${hashApiKey('b')}` });
      assert.deepEqual(keys.names, ['app-1', 'ops']);
      assert.equal(keys.authenticate('b')?.name, 'ops');

      writeFileSync(file, '[]');
      assert.throws(() => authFromConfig(loadConfig({ HOST: '0.0.0.0', API_KEYS_FILE: file })), /refusing to listen/);
      const auth = authFromConfig(loadConfig({ HOST: '0.0.0.0', API_KEYS_FILE: file, API_KEYS: `ops:admin:${hashApiKey('b')}`, RATE_LIMIT_PER_MINUTE: '10' }));
      assert.equal(auth.keys.size, 1);
      assert.equal(auth.rateLimitPerMinute, 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing or broken file is a config error naming the variable', () => {
    assert.throws(() => loadApiKeys({ API_KEYS_FILE: '/nonexistent/keys.json', API_KEYS: undefined }), /API_KEYS_FILE: cannot read \/nonexistent\/keys\.json \(ENOENT\)/);
    assert.throws(() => loadApiKeys({ API_KEYS_FILE: 'x.json', API_KEYS: undefined }, () => '{'), /API_KEYS_FILE x\.json: not valid JSON/);
  });
});

describe('services refuse to start on a public address without keys', () => {
  for (const service of ['query', 'ingest']) {
    it(`${service}: HOST=0.0.0.0 and no keys → exits non-zero with the reason`, async () => {
      const proc = startService(service, { HOST: '0.0.0.0', PORT: '0', CLICKHOUSE_URL: 'http://127.0.0.1:1', KAFKA_BROKERS: '127.0.0.1:1' });
      const { code } = await proc.exited;
      assert.notEqual(code, 0);
      const all = proc.logs.join('\n');
      assert.match(all, /refusing to listen on HOST=0\.0\.0\.0 without API keys/);
      assert.match(all, /ALLOW_UNAUTHENTICATED=true/);
    });
  }
});
