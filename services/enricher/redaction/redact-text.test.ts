import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PII_KINDS } from './kinds.ts';
import { redactText } from './redact-text.ts';

describe('redactText', () => {
  const sample = 'Mail jane@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, key sk-proj-AbC123dEf456GhI789jKl012MnO.';

  it('redacts every kind in one pass and counts per kind', () => {
    const r = redactText(sample, PII_KINDS);
    assert.equal(r.text, 'Mail [REDACTED:email] or call [REDACTED:phone]; card [REDACTED:card], IBAN [REDACTED:iban], key [REDACTED:secret].');
    assert.deepEqual(r.counts, { email: 1, phone: 1, card: 1, iban: 1, secret: 1 });
  });

  it('runs only the requested kinds', () => {
    const r = redactText(sample, ['email', 'card']);
    assert.equal(r.text, 'Mail [REDACTED:email] or call +44 20 7946 0958; card [REDACTED:card], IBAN DE89 3704 0044 0532 0130 00, key sk-proj-AbC123dEf456GhI789jKl012MnO.');
    assert.deepEqual(r.counts, { email: 1, phone: 0, card: 1, iban: 0, secret: 0 });
    assert.equal(redactText(sample, []).text, sample);
  });

  it('is Unicode-safe: surrounding emoji, CJK and combining marks survive intact', () => {
    const text = '连系我 👩🏽‍💻 jane@example.com 👍 or +49 151 2345 6789 — café\u0301 ✓';
    const r = redactText(text, PII_KINDS);
    assert.equal(r.text, '连系我 👩🏽‍💻 [REDACTED:email] 👍 or [REDACTED:phone] — café\u0301 ✓');
    assert.doesNotMatch(r.text, /\p{Cs}/u, 'no surrogate pair was split');
    // A lone surrogate in the input does not break detection around it.
    assert.equal(redactText('\uD800 bob@corp.io \uDC00', ['email']).text, '\uD800 [REDACTED:email] \uDC00');
  });

  it('never changes text in which nothing was found, and is idempotent', () => {
    // Random text, and text built from fragments of the shapes the detectors look for.
    const fragment = fc.constantFrom('4111', '1111', ' ', '1', '0', '-', '.', '+', '(', ')', '@', 'a', 'example.com', 'DE89', '3704', 'sk-', 'Ab9xQ', '=', 'Bearer ', 'api_key=', '👍');
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join('')));
    fc.assert(
      fc.property(text, (s) => {
        const once = redactText(s, PII_KINDS);
        const total = Object.values(once.counts).reduce((a, b) => a + b, 0);
        if (total === 0) assert.equal(once.text, s);
        const twice = redactText(once.text, PII_KINDS);
        assert.equal(twice.text, once.text);
        assert.equal(Object.values(twice.counts).reduce((a, b) => a + b, 0), 0);
      }),
      { numRuns: 2_000 },
    );
  });

  it('stays linear on 1 MB adversarial inputs (sanity bound, not a benchmark)', () => {
    const MB = 1_000_000;
    const fill = (unit: string) => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = '0123456789 -.+()/@:=_aZkA';
    const noise = Array.from({ length: MB }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    const inputs: Record<string, string> = {
      letters: fill('a'),
      digits: fill('1'),
      'spaced digits': fill('1 '),
      'spaced zero groups': fill('01 '),
      'plus groups': fill('+1 '),
      'paren groups': fill('(415) '),
      'card groups': fill('4111 '),
      'short phone groups': fill('+12 345 '),
      'iban groups': fill('DE89 '),
      'email-ish': fill('a@'),
      'dotted local part': fill('a.') + '@',
      'domain labels': 'x@' + fill('a.'),
      'sk prefixes': fill('sk-'),
      akia: fill('AKIA'),
      jwt: fill('eyJa.'),
      bearer: fill('Bearer '),
      assignments: fill('api_key='),
      'base64 run': fill('Ab1+'),
      'unicode letters': fill('é'),
      noise,
    };
    for (const [name, text] of Object.entries(inputs)) {
      const started = performance.now();
      redactText(text, PII_KINDS);
      const ms = performance.now() - started;
      assert.ok(ms < 5_000, `${name}: ${ms.toFixed(0)} ms`);
    }
  });
});
