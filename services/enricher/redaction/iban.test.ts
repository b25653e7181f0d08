import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ibanMod97Valid } from './checksums.ts';
import { redactText } from './redact-text.ts';

const redact = (text: string) => redactText(text, ['iban']);

describe('IBAN detection', () => {
  it('redacts valid IBANs, compact or grouped, any case', () => {
    for (const iban of ['DE89370400440532013000', 'DE89 3704 0044 0532 0130 00', 'GB82 WEST 1234 5698 7654 32', 'gb82west12345698765432', 'FR1420041010050500013M02606', 'NO9386011117947', 'NL91ABNA0417164300']) {
      const r = redact(`pay to ${iban}.`);
      assert.equal(r.text, 'pay to [REDACTED:iban].', iban);
      assert.equal(r.counts.iban, 1);
    }
  });

  it('keeps wrong check digits, unknown countries, wrong lengths and look-alike codes', () => {
    assert.equal(ibanMod97Valid('DE88370400440532013000'), false);
    const keep = [
      'DE88370400440532013000',
      'DE89 3704 0044 0532 0130 01',
      'XX89370400440532013000',
      'DE8937040044053201300',
      'AB12CDEF34567890',
      'SKU12ABCDEFGHIJKLMNO',
      'xDE89370400440532013000',
    ];
    for (const text of keep) assert.equal(redact(text).text, text, text);
  });

  it('stops at the IBAN when words or numbers follow it', () => {
    assert.equal(redact('DE89 3704 0044 0532 0130 00 and more').text, '[REDACTED:iban] and more');
    assert.equal(redact('DE89 3704 0044 0532 0130 00 1234 ok').text, '[REDACTED:iban] 1234 ok');
  });
});
