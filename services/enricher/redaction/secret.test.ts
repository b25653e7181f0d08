import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactText } from './redact-text.ts';

const redact = (text: string) => redactText(text, ['secret']);
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

describe('secret detection', () => {
  it('redacts vendor-format keys', () => {
    const keys = [
      'sk-proj-AbC123dEf456GhI789jKl012MnO',
      'sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-abcdEF',
      'sk-abcdefghij0123456789',
      'AKIAIOSFODNN7EXAMPLE',
      'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
      'xoxb-1234567890-abcdefghij',
      JWT,
    ];
    for (const key of keys) {
      const r = redact(`key=${key} end`);
      assert.equal(r.text, 'key=[REDACTED:secret] end', key);
      assert.equal(r.counts.secret, 1);
    }
  });

  it('redacts HTTP credentials but keeps the scheme word', () => {
    assert.equal(redact('Authorization: Bearer abcDEF123456ghiJKL789').text, 'Authorization: Bearer [REDACTED:secret]');
    assert.deepEqual(redact(`Authorization: Bearer ${JWT}`).counts.secret, 1, 'a JWT bearer token counts once');
    assert.equal(redact('Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==').text, 'Authorization: Basic [REDACTED:secret]');
  });

  it('redacts the value of secret-like key assignments (also hex secrets)', () => {
    assert.equal(redact('OPENAI_API_KEY=7f3a9c2e1b4d5f6a8b9c0d1e2f3a4b5c').text, 'OPENAI_API_KEY=[REDACTED:secret]');
    assert.equal(redact('{"password": "hunter2hunter", "user": "bob"}').text, '{"password": "[REDACTED:secret]", "user": "bob"}');
    assert.equal(redact("client_secret: 'x9Vb27Qa4411'").text, "client_secret: '[REDACTED:secret]'");
  });

  it('redacts long random base64 strings without a known prefix', () => {
    assert.equal(redact('token Xq3vL9pT2mK8sR4wY7nB1cF6hJ0dG5aZ end').text, 'token [REDACTED:secret] end');
    assert.equal(redact('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY').text, '[REDACTED:secret]');
  });

  it('keeps git SHAs, digests, UUIDs, trace ids, identifiers, paths and prose', () => {
    const keep = [
      'commit 3f786850e387550fdab836ed7e6dc881de23001b',
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'trace 4bf92f3577b34da6a3ce929d0e0e4736',
      'id 550e8400-e29b-41d4-a716-446655440000',
      'class AbstractSingletonProxyFactoryBean2',
      'getUserProfileByEmailAddressAndTenantId2',
      'iPhone15ProMaxUserAgent2024ReleaseBuild',
      'GET /api/v1/Users/12345/Orders/67890/Items',
      'src/services/Enricher/Redaction/Detectors2024',
      'task-management-for-everyone-here',
      'sk-learn-is-a-library-for-python',
      'AKIAIOSFODNN7EXAMPLEX',
      'Bearer authentication is stateless',
      'Basic understanding of python3',
      'apiKey: process.env.OPENAI_API_KEY',
      'password: short1',
      'max_tokens=150000',
      'input_tokens: 12345678',
      'the secret: ingredient',
    ];
    for (const text of keep) assert.equal(redact(text).text, text, text);
  });
});
