import { parseArgs } from 'node:util';

export interface SoakOptions {
  minutes: number;
  /** Events per second offered by all clients together. */
  rate: number;
  clients: number;
  batch: number;
  /** A SIGKILL comes every killMinS..killMaxS seconds (seeded). */
  killMinS: number;
  killMaxS: number;
  sampleS: number;
  seed: number;
  /** Where the samples and the verdict go as JSON ('' = nowhere). */
  out: string;
}

export const USAGE = `npm run soak -- [options]
  --minutes N       how long traffic runs (default 30)
  --rate N          events/s from all clients together (default 3000: about half the
                    embedded maximum npm run bench measured here, 6,936 events/s)
  --clients N       concurrent HTTP clients (default 8)
  --batch N         events per request (default 100)
  --kill-every A-B  seconds between SIGKILLs of the pipeline, drawn from A..B (default 60-180)
  --sample-s N      seconds between samples of RSS, FDs, event-loop delay, parts (default 60)
  --seed N          seed of the traffic and the kill times (default 1)
  --out FILE        write the samples and the verdict as JSON`;

/** Parses argv; throws an Error naming the bad option. */
export function parseSoakArgs(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      clients: { type: 'string' },
      batch: { type: 'string' },
      'kill-every': { type: 'string' },
      'sample-s': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const num = (name: string, raw: string | undefined, dflt: number, min: number): number => {
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  let killMinS = 60;
  let killMaxS = 180;
  if (values['kill-every'] !== undefined) {
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(values['kill-every']);
    if (!m || Number(m[1]) <= 0 || Number(m[2]) < Number(m[1])) throw new Error(`--kill-every: expected A-B seconds with 0 < A ≤ B, got ${JSON.stringify(values['kill-every'])}`);
    [killMinS, killMaxS] = [Number(m[1]), Number(m[2])];
  }
  return {
    minutes: num('minutes', values.minutes, 30, 0.5),
    rate: num('rate', values.rate, 3000, 1),
    clients: Math.floor(num('clients', values.clients, 8, 1)),
    batch: Math.floor(num('batch', values.batch, 100, 1)),
    killMinS,
    killMaxS,
    sampleS: num('sample-s', values['sample-s'], 60, 1),
    seed: Math.floor(num('seed', values.seed, 1, 0)),
    out: values.out ?? '',
  };
}
