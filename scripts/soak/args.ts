import { parseArgs } from 'node:util';

export type SoakMode = 'embedded' | 'distributed';

export interface SoakOptions {
  /** Which deployments to soak, one after the other. */
  modes: SoakMode[];
  minutes: number;
  /** Events per second offered by all clients together, per mode. */
  rate: Record<SoakMode, number>;
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

/** About half the maxima `npm run bench` measured here (BENCHMARKS.md): 6,936 embedded, 1,892 distributed. */
export const DEFAULT_RATE: Record<SoakMode, number> = { embedded: 3000, distributed: 900 };

export const USAGE = `npm run soak -- [options]
  --mode M          embedded (npm start), distributed (the services over Kafka and the
                    clickhouse service), or both, one after the other (default both)
  --minutes N       how long traffic runs in each mode (default 30)
  --rate N          events/s from all clients together (default: about half the maximum
                    npm run bench measured here: 3000 embedded, 900 distributed)
  --clients N       concurrent HTTP clients (default 8)
  --batch N         events per request (default 100)
  --kill-every A-B  seconds between faults, drawn from A..B (default 60-180): a SIGKILL of
                    the all-in-one, or of a random service (ingest, enricher, writer,
                    clickhouse) or the broker down for 10-20 s in distributed mode
  --sample-s N      seconds between samples of RSS, FDs, event-loop delay, parts (default 60)
  --seed N          seed of the traffic and the kill times (default 1)
  --out FILE        write the samples and the verdict as JSON`;

/** Parses argv; throws an Error naming the bad option. */
export function parseSoakArgs(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string' },
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
  const mode = values.mode ?? 'both';
  if (!['embedded', 'distributed', 'both'].includes(mode)) throw new Error(`--mode: expected embedded, distributed or both, got ${JSON.stringify(mode)}`);
  const modes: SoakMode[] = mode === 'both' ? ['embedded', 'distributed'] : [mode as SoakMode];
  const rate = values.rate === undefined ? { ...DEFAULT_RATE } : { embedded: num('rate', values.rate, 0, 1), distributed: num('rate', values.rate, 0, 1) };
  return {
    modes,
    minutes: num('minutes', values.minutes, 30, 0.5),
    rate,
    clients: Math.floor(num('clients', values.clients, 8, 1)),
    batch: Math.floor(num('batch', values.batch, 100, 1)),
    killMinS,
    killMaxS,
    sampleS: num('sample-s', values['sample-s'], 60, 1),
    seed: Math.floor(num('seed', values.seed, 1, 0)),
    out: values.out ?? '',
  };
}
