import { writeFileSync, mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startEmbeddedPipeline } from '../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../services/core/config.ts';
import { createLogger } from '../services/core/logger.ts';
import { tempDir } from '../test/helpers/temp-dir.ts';
import { syntheticTraces } from './lib/synthetic-traces.ts';

/**
 * `npm run bench [-- --events 200000 --clients 8 --batch 1000 --text-bytes 1000]`:
 * events/s through the embedded path — HTTP batch ingest by concurrent clients until every
 * event is counted in `traces` and in the minute rollup — plus peak RSS. Prints a progress
 * line, a table, and writes .bench/embedded.json.
 */
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    clients: { type: 'string', default: '8' },
    batch: { type: 'string', default: '1000' },
    'text-bytes': { type: 'string', default: '1000' },
  },
});
const total = Number(values.events);
const clients = Number(values.clients);
const batchSize = Number(values.batch);
const textBytes = Number(values['text-bytes']);

const dir = tempDir('bench-embedded');
const log = createLogger({ level: 'warn' });
const pipeline = await startEmbeddedPipeline(
  loadConfig({ DATA_DIR: dir.path, PORT: '0', CLICKHOUSE_HTTP_PORT: '0', INGEST_MAX_EVENTS: String(batchSize), INGEST_MAX_BODY_BYTES: String(64 * 1024 * 1024) }),
  log,
);

// Pre-build request bodies so the clock measures the pipeline, not the generator.
const bodies: string[] = [];
let batch: Record<string, unknown>[] = [];
let bytes = 0;
for (const e of syntheticTraces(total, { seed: 7, textBytes, idPrefix: 'bench', spreadMs: 6 * 3600_000 })) {
  batch.push(e);
  if (batch.length === batchSize) {
    const body = JSON.stringify({ traces: batch });
    bytes += body.length;
    bodies.push(body);
    batch = [];
  }
}
if (batch.length > 0) bodies.push(JSON.stringify({ traces: batch }));

let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
let sent = 0;
let next = 0;
const started = performance.now();
const progress = setInterval(() => {
  const secs = (performance.now() - started) / 1000;
  const line = `  ${sent}/${total} events acknowledged, ${Math.round(sent / secs)} events/s`;
  process.stdout.write(process.stdout.isTTY ? `\r${line}   ` : `${line}\n`);
}, process.stdout.isTTY ? 500 : 5000);

async function client(): Promise<void> {
  while (next < bodies.length) {
    const body = bodies[next++];
    const res = await fetch(`${pipeline.apiUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    sent += ((await res.json()) as { accepted: number }).accepted;
  }
}
await Promise.all(Array.from({ length: clients }, client));
const ackSecs = (performance.now() - started) / 1000;

// A 2xx already means "in ClickHouse"; count to prove it (and the rollups) hold every event.
const count = async (sql: string) => Number((await (await fetch(`${pipeline.clickhouseUrl}/?query=${encodeURIComponent(sql)}`)).text()).trim());
const inTraces = await count('SELECT count() FROM traces');
const inRollup = await count('SELECT sum(requests) FROM traces_1m');
const totalSecs = (performance.now() - started) / 1000;
clearInterval(progress);
clearInterval(rssTimer);
await pipeline.stop();
dir.cleanup();

const report = {
  cpus: (await import('node:os')).cpus().length,
  node: process.version,
  events: total,
  clients,
  batch: batchSize,
  avg_request_kb: Math.round(bytes / bodies.length / 1024),
  avg_event_bytes: Math.round(bytes / total),
  seconds: Number(totalSecs.toFixed(2)),
  events_per_s: Math.round(total / totalSecs),
  counted_in_traces: inTraces,
  counted_in_rollup_1m: inRollup,
  exact: inTraces === total && inRollup === total,
  peak_rss_mb: Math.round(peakRss / 1024 / 1024),
  ack_seconds: Number(ackSecs.toFixed(2)),
};
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/embedded.json', JSON.stringify(report, null, 2));
process.stdout.write('\n\nEmbedded end to end (HTTP ingest → enrich → ClickHouse + rollups, one process)\n');
console.table(report);
process.stdout.write('report written to .bench/embedded.json\n');
if (!report.exact) process.exit(1);
