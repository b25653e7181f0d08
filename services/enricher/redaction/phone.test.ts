import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactText } from './redact-text.ts';

const redact = (text: string) => redactText(text, ['phone']);

describe('phone detection', () => {
  it('redacts international numbers, with or without separators', () => {
    for (const phone of ['+1 (415) 555-2671', '+44 (0)20 7946 0958', '+33 6 12 34 56 78', '+4915123456789', '+49 151 2345 6789', '+1.415.555.2671']) {
      assert.equal(redact(`call ${phone} today`).text, 'call [REDACTED:phone] today', phone);
    }
  });

  it('redacts North American and trunk-prefix national formats with separators', () => {
    for (const phone of ['(415) 555-2671', '415-555-2671', '415.555.2671', '415 555 2671', '1-800-555-0199', '020 7946 0958', '06 12 34 56 78', '030/12345678', '(030) 1234567', '0151-2345-6789']) {
      const r = redact(`tel: ${phone}.`);
      assert.equal(r.text, 'tel: [REDACTED:phone].', phone);
      assert.equal(r.counts.phone, 1);
    }
  });

  it('leaves token counts, timestamps, dates, order ids, versions, IPs and UUIDs alone', () => {
    const keep = [
      'input_tokens 1234567890',
      'epoch 1706745600 and 1706745600123',
      'order 123456 shipped',
      'order #123456789',
      '2024-01-15 12:30:45',
      '2024-01-15T10:20:30Z',
      '01.02.2024 12:30',
      '01.02.2024 12',
      '192.168.100.200',
      'version 10.0.19041.1234',
      '1 234 567 890 tokens',
      'used 12 345 678 tokens',
      '550e8400-e29b-41d4-a716-446655440000',
      '12345678-1234-1234-1234-123456789012',
      'ISBN 978-3-16-148410-0',
      'SSN-like 123-45-6789',
      '0.123456789',
      'x415-555-2671',
      '+12 and +1 555',
    ];
    for (const text of keep) assert.equal(redact(text).text, text, text);
  });

  it('redacts only the number when text follows it', () => {
    assert.equal(redact('+1 415 555 2671 5 times').text, '[REDACTED:phone] 5 times');
  });
});
