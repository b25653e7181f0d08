import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import { runApiKeyCli } from './apikey-cli.ts';
import { API_KEY_PREFIX, ApiKeyStore, generateApiKey, hashApiKey, hasScope, parseApiKeyFile, parseApiKeysEnv } from './keys.ts';

const KEY = 'lpk_9xv0Zq3m0d2Vt7u1m2n3b4v5c6x7z8a9s0d1f2g3h4j';
const DIGEST = crypto.createHash('sha256').update(KEY).digest('hex');

describe('hashing and generating keys', () => {
  it('hashApiKey is the lowercase hex sha256 of the UTF-8 key', () => {
    assert.equal(hashApiKey(KEY), DIGEST);
    assert.equal(hashApiKey('test'), '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
  });

  it('generated keys carry 256 random bits behind a recognisable prefix', () => {
    const keys = new Set(Array.from({ length: 100 }, generateApiKey));
    assert.equal(keys.size, 100);
    for (const k of keys) {
      assert.ok(k.startsWith(API_KEY_PREFIX));
      assert.equal(Buffer.from(k.slice(API_KEY_PREFIX.length), 'base64url').length, 32);
    }
  });
});

describe('parsing stored keys', () => {
  it('reads the API_KEYS_FILE JSON array and normalises digests to lowercase', () => {
    const records = parseApiKeyFile(JSON.stringify([{ name: 'app-1', scopes: ['ingest'], sha256: DIGEST.toUpperCase() }, { name: 'ops', scopes: ['query', 'admin'], sha256: hashApiKey('x') }]), 'keys.json');
    assert.deepEqual(records, [
      { name: 'app-1', scopes: ['ingest'], sha256: DIGEST },
      { name: 'ops', scopes: ['query', 'admin'], sha256: hashApiKey('x') },
    ]);
  });

  it('reports every bad entry at once, by index and name, without echoing values', () => {
    const text = JSON.stringify([
      { name: 'ok', scopes: ['ingest'], sha256: DIGEST },
      { name: 'bad scope', scopes: ['write'], sha256: 'abc' },
      { name: 'plain', scopes: ['ingest'], key: KEY },
      { name: 'no-scopes', scopes: [], sha256: DIGEST },
      { name: 'extra', scopes: ['query'], sha256: DIGEST, note: 1 },
    ]);
    assert.throws(
      () => parseApiKeyFile(text, 'keys.json'),
      (err: Error) => {
        assert.match(err.message, /keys\.json\[1\] \(bad scope\): name:/);
        assert.match(err.message, /keys\.json\[1\] \(bad scope\): scopes: each one of ingest, query, admin/);
        assert.match(err.message, /keys\.json\[1\] \(bad scope\): sha256: must be the 64-hex-character sha256/);
        assert.match(err.message, /keys\.json\[2\] \(plain\): holds a plaintext key/);
        assert.match(err.message, /keys\.json\[3\] \(no-scopes\): scopes: at least one/);
        assert.match(err.message, /keys\.json\[4\] \(extra\)/);
        assert.ok(!err.message.includes(KEY), 'the plaintext key is not repeated');
        return true;
      },
    );
    assert.throws(() => parseApiKeyFile('{"name":"x"}', 'keys.json'), /expected a JSON array/);
    assert.throws(() => parseApiKeyFile('[', 'keys.json'), /keys\.json: not valid JSON/);
  });

  it('reads API_KEYS inline records (name:scope+scope:sha256) and refuses plaintext keys', () => {
    assert.deepEqual(parseApiKeysEnv(` app-1:ingest:${DIGEST} , ops:query+admin:${hashApiKey('x')}`), [
      { name: 'app-1', scopes: ['ingest'], sha256: DIGEST },
      { name: 'ops', scopes: ['query', 'admin'], sha256: hashApiKey('x') },
    ]);
    assert.throws(
      () => parseApiKeysEnv(`app-1:ingest:${KEY}`),
      (err: Error) => /API_KEYS entry 1 \(app-1\): sha256: must be the 64-hex-character sha256/.test(err.message) && !err.message.includes(KEY),
    );
    assert.throws(() => parseApiKeysEnv('app-1:ingest'), /expected name:scope\+scope:sha256hex/);
  });
});

describe('the key store', () => {
  const store = new ApiKeyStore([
    { name: 'app-1', scopes: ['ingest'], sha256: DIGEST },
    { name: 'ops', scopes: ['admin'], sha256: hashApiKey('ops-key') },
  ]);

  it('finds a key by its digest and returns its name and scopes only', () => {
    assert.deepEqual(store.authenticate(KEY), { name: 'app-1', scopes: ['ingest'] });
    assert.equal(store.size, 2);
    assert.deepEqual(store.names, ['app-1', 'ops']);
  });

  it('rejects near misses, prefixes, the digest itself, empty and huge inputs without throwing', () => {
    for (const wrong of [KEY.slice(0, -1), `${KEY}x`, KEY.slice(0, 10), KEY.toUpperCase(), DIGEST, '', ' ', 'x'.repeat(100_000), '\u00e9\u{1F511}']) {
      assert.equal(store.authenticate(wrong), null, JSON.stringify(wrong.slice(0, 20)));
    }
  });

  it('compares in constant time: every attempt, hit or miss, is one timingSafeEqual of two 32-byte digests', () => {
    const spy = mock.method(crypto, 'timingSafeEqual');
    try {
      store.authenticate(KEY);
      store.authenticate('nope');
      store.authenticate(KEY.slice(0, -1));
      assert.equal(spy.mock.callCount(), 3);
      for (const call of spy.mock.calls) {
        const [a, b] = call.arguments as [Buffer, Buffer];
        assert.equal(a.length, 32);
        assert.equal(b.length, 32);
      }
      assert.equal(spy.mock.calls[0].result, true);
      assert.equal(spy.mock.calls[1].result, false);
    } finally {
      spy.mock.restore();
    }
  });

  it('admin implies every scope', () => {
    const ops = store.authenticate('ops-key')!;
    const app = store.authenticate(KEY)!;
    assert.ok(hasScope(ops, 'ingest') && hasScope(ops, 'query') && hasScope(ops, 'admin'));
    assert.ok(hasScope(app, 'ingest'));
    assert.ok(!hasScope(app, 'query') && !hasScope(app, 'admin'));
  });

  it('refuses duplicate names and the same key registered twice', () => {
    assert.throws(() => new ApiKeyStore([{ name: 'a', scopes: ['ingest'], sha256: DIGEST }, { name: 'a', scopes: ['query'], sha256: hashApiKey('y') }]), /name "a" is used twice/);
    assert.throws(() => new ApiKeyStore([{ name: 'a', scopes: ['ingest'], sha256: DIGEST }, { name: 'b', scopes: ['query'], sha256: DIGEST }]), /same sha256/);
  });
});

describe('npm run apikey', () => {
  function io(stdin = '') {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), readStdin: async () => stdin } };
  }

  it('create prints a fresh key once and the records to register; the key authenticates against them', async () => {
    const t = io();
    assert.equal(await runApiKeyCli(['create', '--name', 'app-1', '--scopes', 'ingest,query'], t.io), 0);
    const text = t.out.join('');
    const key = /^ {2}(lpk_\S+)$/m.exec(text)?.[1];
    assert.ok(key, text);
    const json = /^ {2}(\{.*\})$/m.exec(text)![1];
    const inline = /^ {2}(app-1:ingest\+query:[0-9a-f]{64})$/m.exec(text)![1];
    assert.deepEqual(new ApiKeyStore(parseApiKeyFile(`[${json}]`, 'out')).authenticate(key), { name: 'app-1', scopes: ['ingest', 'query'] });
    assert.deepEqual(new ApiKeyStore(parseApiKeysEnv(inline)).authenticate(key)?.name, 'app-1');
  });

  it('create --file appends to the keys file (mode 0600) and never writes the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apikey-'));
    try {
      const file = join(dir, 'keys.json');
      const a = io();
      const b = io();
      assert.equal(await runApiKeyCli(['create', '--name', 'app-1', '--scopes', 'ingest', '--file', file], a.io), 0);
      assert.equal(await runApiKeyCli(['create', '--name', 'ops', '--scopes', 'admin', '--file', file], b.io), 0);
      const stored = readFileSync(file, 'utf8');
      const records = parseApiKeyFile(stored, file);
      assert.deepEqual(records.map((r) => r.name), ['app-1', 'ops']);
      const keyA = /^ {2}(lpk_\S+)$/m.exec(a.out.join(''))![1];
      assert.ok(!stored.includes(keyA));
      assert.equal(new ApiKeyStore(records).authenticate(keyA)?.name, 'app-1');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const again = io();
      assert.equal(await runApiKeyCli(['create', '--name', 'ops', '--scopes', 'query', '--file', file], again.io), 1);
      assert.match(again.err.join(''), /used twice/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hash reads a key on stdin; bad input gets usage or a message', async () => {
    const h = io(`${KEY}\n`);
    assert.equal(await runApiKeyCli(['hash'], h.io), 0);
    assert.equal(h.out.join(''), `${DIGEST}\n`);
    const bad = io();
    assert.equal(await runApiKeyCli(['create', '--name', 'x', '--scopes', 'write'], bad.io), 1);
    assert.match(bad.err.join(''), /write is not a scope/);
    const none = io();
    assert.equal(await runApiKeyCli([], none.io), 2);
    assert.match(none.err.join(''), /usage/);
  });
});
