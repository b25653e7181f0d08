/**
 * Shared pieces of the hostile-input suites (test/hostile/*.test.ts): the seed, the
 * HOSTILE-FIGURES line, a log capture, and fast-check arbitraries for hostile values.
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';

/** One seed for every property of a run; HOSTILE_SEED replays a failing run. */
export const SEED = Number(process.env.HOSTILE_SEED ?? 20_260_131);

export function printFigures(test: string, figures: Record<string, unknown>): void {
  console.log(`HOSTILE-FIGURES ${JSON.stringify({ test, seed: SEED, ...figures })}`);
}

/** A pino destination that keeps every line in memory. */
export function captureStream(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { unparsed: l };
        }
      });
  return { stream, text, lines };
}

/** Sets an own, enumerable `__proto__` (a literal would set the prototype instead), so JSON.stringify writes it. */
export function withOwnKey(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
  return out;
}

const LONE_SURROGATES = ['\uD800', '\uDFFF', 'a\uDBFFb', '\uDC00\uD800'];
export const NAN_LIKE = ['NaN', 'nan', 'Infinity', '-Infinity', '1e309', '-1e309', '-0', '0x10', '1_000', ' 1 ', '', ' ', '1e3', '+1', '.5', '5.', '00012', 'null', 'undefined', 'true', '[]', '{}'];
export const HUGE_NUMBERS = [1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, 2 ** 64, 2 ** 63, 2 ** 32, -1, -0, 0.1 + 0.2, 5e-324, 1.7976931348623157e308];
export const INJECTION = ["' OR 1=1 --", "'); DROP TABLE traces; --", '{x:String}', '\\', "\\'", '\u2019 OR 1=1 --', '\u02bc; DROP TABLE traces', '%27%20OR%201%3D1', '`traces`', '1; SELECT 1'];
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Strings a validator should refuse or store verbatim, never choke on. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NAN_LIKE, ...INJECTION, ...PROTO_KEYS, ...LONE_SURROGATES),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 12 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\u202Eevil', '\uFEFF', '\u200B', '🦄'.repeat(50), 'é'.normalize('NFD')),
  // very long: around the 128/256/4096/1 000 000 limits and well past them
  fc.constantFrom(129, 257, 4097, 70_000, 1_000_001).map((n) => 'x'.repeat(n)),
);

/** Deeply nested arrays or objects (JSON.parse has no depth limit). */
export const deepValue: fc.Arbitrary<unknown> = fc.tuple(fc.integer({ min: 1, max: 4_000 }), fc.boolean()).map(([depth, arrays]) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
});

/** Any hostile JSON value, for a field that expects something else. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(...HUGE_NUMBERS),
  fc.double(), // NaN / ±Infinity serialise as null
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(hostileString, fc.integer()), { maxLength: 4 }),
  fc.dictionary(hostileString, fc.oneof(hostileString, fc.integer()), { maxKeys: 4 }),
  deepValue,
  fc.jsonValue({ maxDepth: 3 }),
);
