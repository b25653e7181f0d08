import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTarget, isNonPublicAddress } from './target-check.ts';

describe('isNonPublicAddress', () => {
  it('flags loopback, private, link-local, CGNAT, unspecified and multicast addresses', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd12:3456::1', '[::1]']) {
      assert.equal(isNonPublicAddress(a), true, a);
    }
  });

  it('sees through IPv4-mapped IPv6, in dotted and hex form', () => {
    assert.equal(isNonPublicAddress('::ffff:127.0.0.1'), true);
    assert.equal(isNonPublicAddress('::ffff:7f00:1'), true);
    assert.equal(isNonPublicAddress('::ffff:a00:1'), true);
    assert.equal(isNonPublicAddress('::ffff:808:808'), false);
  });

  it('lets public addresses through', () => {
    for (const a of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2001:4860:4860::8888']) assert.equal(isNonPublicAddress(a), false, a);
  });
});

describe('checkTarget', () => {
  const resolveTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address }));

  it('accepts only http and https', async () => {
    assert.deepEqual(await checkTarget('ftp://example.com/x', true), { ok: false, reason: 'receiver URL scheme ftp: is not http or https', retry: false });
    assert.equal((await checkTarget('not a url', true)).ok, false);
    assert.equal((await checkTarget('file:///etc/passwd', true)).ok, false);
  });

  it('refuses private literals (however spelled) unless allowed', async () => {
    for (const url of ['http://127.0.0.1:9/x', 'http://[::1]/x', 'http://2130706433/x', 'http://0x7f.1/x', 'http://169.254.169.254/latest', 'http://[::ffff:127.0.0.1]/']) {
      const r = await checkTarget(url, false, resolveTo('8.8.8.8'));
      assert.equal(r.ok, false, url);
      assert.equal(r.ok || r.retry, false, url);
    }
    assert.deepEqual(await checkTarget('http://127.0.0.1:9/x', true), { ok: true });
  });

  it('refuses a host name that resolves to a private address, any of them', async () => {
    assert.equal((await checkTarget('https://hooks.example.com/x', false, resolveTo('93.184.216.34', '10.0.0.5'))).ok, false);
    assert.deepEqual(await checkTarget('https://hooks.example.com/x', false, resolveTo('93.184.216.34')), { ok: true });
  });

  it('resolves with the system resolver: localhost is loopback', async () => {
    const r = await checkTarget('http://localhost:9/hook', false);
    assert.equal(r.ok, false);
    assert.equal(r.ok || r.retry, false);
  });

  it('treats a failed lookup as transient and never puts the URL in the reason', async () => {
    const r = await checkTarget('https://hooks.example.com/services/SECRET', false, async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example.com'), { code: 'ENOTFOUND' });
    });
    assert.deepEqual(r, { ok: false, reason: 'cannot resolve receiver host: ENOTFOUND', retry: true });
  });
});
