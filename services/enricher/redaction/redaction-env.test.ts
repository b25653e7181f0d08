import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PipelineError } from '../../core/errors.ts';
import { REDACTION_OFF } from './redaction-settings.ts';
import { parseRedactionEnv } from './redaction-env.ts';

describe('parseRedactionEnv', () => {
  it('is off by default, also for empty values and "none"', () => {
    assert.deepEqual(parseRedactionEnv({}), REDACTION_OFF);
    assert.deepEqual(parseRedactionEnv({ REDACT_FEATURES: '', REDACT_KINDS: '', REDACT_FIELDS: '' }), REDACTION_OFF);
    assert.equal(parseRedactionEnv({ REDACT_FEATURES: ' none ' }).features, 'none');
  });

  it('parses comma lists, trimming blanks, defaulting kinds and fields to all', () => {
    assert.deepEqual(parseRedactionEnv({ REDACT_FEATURES: 'support-*, checkout ,' }), {
      features: ['support-*', 'checkout'],
      kinds: ['email', 'phone', 'card', 'iban', 'secret'],
      fields: ['input', 'output', 'metadata'],
    });
    assert.deepEqual(parseRedactionEnv({ REDACT_FEATURES: '*', REDACT_KINDS: 'Email,card,email', REDACT_FIELDS: 'input' }), {
      features: ['*'],
      kinds: ['email', 'card'],
      fields: ['input'],
    });
    assert.deepEqual(parseRedactionEnv({ REDACT_FEATURES: '*', REDACT_KINDS: '*', REDACT_FIELDS: '*' }).fields, ['input', 'output', 'metadata']);
  });

  it('throws an error naming the variable and the bad value, even while off', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ REDACT_KINDS: 'email,ssn' }, /REDACT_KINDS="email,ssn": unknown value "ssn"/],
      [{ REDACT_FEATURES: 'chat', REDACT_FIELDS: 'input,headers' }, /REDACT_FIELDS="input,headers": unknown value "headers"/],
      [{ REDACT_FEATURES: 'none,chat' }, /REDACT_FEATURES="none,chat": "none" cannot be combined/],
      [{ REDACT_FEATURES: 'x'.repeat(129) }, /REDACT_FEATURES=.*at most 128 characters/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => parseRedactionEnv(env),
        (err: unknown) => err instanceof PipelineError && err.code === 'PIPE_CONFIG_INVALID' && message.test(err.message),
        JSON.stringify(env),
      );
    }
  });
});
