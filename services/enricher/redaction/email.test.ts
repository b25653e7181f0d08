import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactText } from './redact-text.ts';

const redact = (text: string) => redactText(text, ['email']);

describe('email detection', () => {
  it('redacts addresses, including tags, subdomains and internationalised names', () => {
    assert.deepEqual(redact('mail john.doe+tag@example.co.uk now'), { text: 'mail [REDACTED:email] now', counts: { email: 1, phone: 0, card: 0, iban: 0, secret: 0 } });
    assert.equal(redact('"bob@corp.io", jane_o%x@mail.example.org.').text, '"[REDACTED:email]", [REDACTED:email].');
    assert.equal(redact('Ünïcödé@bücher.de').text, '[REDACTED:email]');
    assert.equal(redact('a@b.io c@d.io e@f.io').counts.email, 3);
  });

  it('leaves mentions, local hosts, IP literals and bare @ signs alone', () => {
    for (const text of ['@user said hi', 'root@localhost', 'x@1.2.3.4', 'a@b.c', 'ab@@cd.com', 'price @ 5.00', 'git@github', 'user@example.c0m']) {
      assert.deepEqual(redact(text), { text, counts: { email: 0, phone: 0, card: 0, iban: 0, secret: 0 } }, text);
    }
  });
});
