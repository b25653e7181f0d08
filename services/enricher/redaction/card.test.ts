import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { luhnValid } from './checksums.ts';
import { redactText } from './redact-text.ts';

const redact = (text: string) => redactText(text, ['card']);

describe('card detection', () => {
  it('redacts Luhn-valid numbers of the major networks, unbroken or grouped', () => {
    for (const card of ['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '5555555555554444', '2223003122003222', '378282246310005', '3782-822463-10005', '6011111111111117', '3530111333300000', '30569309025904', '4222222222222']) {
      const r = redact(`card: ${card}, exp 12/29`);
      assert.equal(r.text, 'card: [REDACTED:card], exp 12/29', card);
      assert.equal(r.counts.card, 1);
    }
  });

  it('keeps Luhn-invalid numbers and look-alikes', () => {
    assert.equal(luhnValid('4111111111111112'), false);
    const keep = [
      '4111111111111112',
      '4111 1111 1111 1112',
      '5555555555554445',
      // Luhn-valid but starting with 1 / 9: snowflake ids, nanosecond timestamps, other industries.
      '1234567812345670',
      '1706745600000000000',
      '9111111111111111',
      // Too short / too long, glued to letters, dotted.
      '411111111111',
      '41111111111111111111',
      'id4111111111111111',
      '4111.1111.1111.1111',
      '550e8400-e29b-41d4-a716-446655440000',
    ];
    for (const text of keep) assert.equal(redact(text).text, text, text);
    assert.equal(luhnValid('1234567812345670'), true, 'the 1… case is excluded by the network digit, not by Luhn');
  });

  it('redacts the card but not a number that follows or precedes it', () => {
    assert.equal(redact('4111 1111 1111 1111 2024').text, '[REDACTED:card] 2024');
    assert.equal(redact('ref 12 4111 1111 1111 1111').text, 'ref 12 [REDACTED:card]');
  });
});
