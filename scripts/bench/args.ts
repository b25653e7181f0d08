import { parseArgs } from 'node:util';

/** Sections in run order; `--skip` takes a comma list of these names. */
export const SECTIONS = ['limit', 'embedded', 'freshness', 'overload', 'distributed', 'queries', 'otlp'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** Events through the embedded path (section 2). */
  events: number;
  /** Rows for the engine's own bulk-insert limit (section 1); default = events. */
  rows: number;
  /** Events through the distributed path (section 3). */
  distEvents: number;
  /** Traces generated for the query section (section 5). */
  queryRows: number;
  clients: number;
  batch: number;
  /** Rows per INSERT in the limit section (the writer's WRITER_BATCH_SIZE default). */
  insertBatch: number;
  freshnessSeconds: number;
  /** Events per request in the freshness phase. */
  freshnessBatch: number;
  /** Duration of the overload phase, and its rate as a multiple of what section 2 sustained. */
  overloadSeconds: number;
  overloadFactor: number;
  queryIterations: number;
  referenceIterations: number;
  partitions: number;
  skip: SectionName[];
  profile: boolean;
  out: string;
  seed: number;
}

export const USAGE = `npm run bench -- [options]
  --events N               events through the embedded path (default 200000)
  --rows N                 rows for the engine's bulk-insert limit (default: --events)
  --dist-events N          events through the distributed path (default: min(--events, 100000))
  --query-rows N           traces generated for the query section (default 10000000)
  --clients N              concurrent HTTP clients (default 8)
  --batch N                events per ingest request (default 1000)
  --insert-batch N         rows per INSERT in the limit section (default 10000)
  --freshness-seconds N    duration of the freshness phase (default 20)
  --freshness-batch N      events per request in the freshness phase (default 100)
  --overload-seconds N     duration of the overload phase (default 60)
  --overload-factor N      overload rate as a multiple of the embedded rate measured (default 10)
  --query-iterations N     timed requests per query at 1 client; ×3 per client at 32 (default 30)
  --reference-iterations N timed reference scans per query at 1 client (default 5)
  --partitions N           Kafka partitions per topic in the distributed section (default 6)
  --skip a,b               skip sections: ${SECTIONS.join(', ')}
  --profile                run the embedded pipeline under node --cpu-prof and summarise it
  --out PATH               JSON report (default .bench/report.json)
  --seed N                 seed of the synthetic traffic (default 7)`;

const positive = (name: string, raw: string | undefined, def: number, min = 1): number => {
  if (raw === undefined) return def;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected a whole number >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
};

/** argv (without node and the script) → options; throws with a message naming the flag. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      events: { type: 'string' },
      rows: { type: 'string' },
      'dist-events': { type: 'string' },
      'query-rows': { type: 'string' },
      clients: { type: 'string' },
      batch: { type: 'string' },
      'insert-batch': { type: 'string' },
      'freshness-seconds': { type: 'string' },
      'freshness-batch': { type: 'string' },
      'overload-seconds': { type: 'string' },
      'overload-factor': { type: 'string' },
      'query-iterations': { type: 'string' },
      'reference-iterations': { type: 'string' },
      partitions: { type: 'string' },
      skip: { type: 'string' },
      profile: { type: 'boolean', default: false },
      out: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new Error(USAGE);
  const events = positive('events', values.events, 200_000);
  const skip = (values.skip ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of skip) {
    if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--skip: unknown section ${JSON.stringify(s)}; use: ${SECTIONS.join(', ')}`);
  }
  return {
    events,
    rows: positive('rows', values.rows, events),
    distEvents: positive('dist-events', values['dist-events'], Math.min(events, 100_000)),
    queryRows: positive('query-rows', values['query-rows'], 10_000_000),
    clients: positive('clients', values.clients, 8),
    batch: positive('batch', values.batch, 1_000),
    insertBatch: positive('insert-batch', values['insert-batch'], 10_000),
    freshnessSeconds: positive('freshness-seconds', values['freshness-seconds'], 20),
    freshnessBatch: positive('freshness-batch', values['freshness-batch'], 100),
    overloadSeconds: positive('overload-seconds', values['overload-seconds'], 60),
    overloadFactor: positive('overload-factor', values['overload-factor'], 10),
    queryIterations: positive('query-iterations', values['query-iterations'], 30),
    referenceIterations: positive('reference-iterations', values['reference-iterations'], 5),
    partitions: positive('partitions', values.partitions, 6),
    skip: skip as SectionName[],
    profile: values.profile ?? false,
    out: values.out ?? '.bench/report.json',
    seed: positive('seed', values.seed, 7, 0),
  };
}
