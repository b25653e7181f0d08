import { parseArgs } from 'node:util';
import { syntheticTraces } from './lib/synthetic-traces.ts';

/**
 * `npm run demo [-- --events 5000 --url http://127.0.0.1:3000]`: sends realistic
 * synthetic traffic to a running pipeline, then prints cost by feature and the models
 * that have no price, read back from the query API.
 */
const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.API_URL ?? 'http://127.0.0.1:3000' },
    events: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '500' },
    seed: { type: 'string', default: String(Date.now() % 100000) },
  },
});
const url = values.url!.replace(/\/$/, '');
const total = Number(values.events);
const batchSize = Number(values.batch);

async function post(events: Record<string, unknown>[]): Promise<number> {
  const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ traces: events }) });
  if (res.status !== 202) throw new Error(`POST /v1/traces answered ${res.status}: ${await res.text()}`);
  return events.length;
}

async function main(): Promise<void> {
  try {
    await fetch(`${url}/healthz`);
  } catch {
    process.stderr.write(`no pipeline at ${url}: start it first with \`npm start\`\n`);
    process.exit(1);
  }
  const started = Date.now();
  let sent = 0;
  let batch: Record<string, unknown>[] = [];
  for (const e of syntheticTraces(total, { seed: Number(values.seed), textBytes: 300 })) {
    batch.push(e);
    if (batch.length === batchSize) {
      sent += await post(batch);
      batch = [];
      process.stdout.write(`\rsent ${sent}/${total} events`);
    }
  }
  if (batch.length > 0) sent += await post(batch);
  const secs = (Date.now() - started) / 1000;
  process.stdout.write(`\rsent ${sent}/${total} events in ${secs.toFixed(1)} s (${Math.round(sent / secs)} events/s), all acknowledged (in ClickHouse)\n\n`);

  const cost = (await (await fetch(`${url}/v1/metrics/cost?group_by=feature&interval=none&from=${new Date(Date.now() - 2 * 3600_000).toISOString()}`)).json()) as { rows: Record<string, unknown>[] };
  process.stdout.write('Cost by feature, last 2 hours (GET /v1/metrics/cost?group_by=feature&interval=none)\n');
  console.table(cost.rows.map((r) => ({ feature: r.feature, requests: r.requests, cost_usd: r.cost_usd, unpriced_requests: r.unpriced_requests })));
  const unpriced = (await (await fetch(`${url}/v1/models/unpriced`)).json()) as { rows?: Record<string, unknown>[]; models?: Record<string, unknown>[] };
  process.stdout.write('\nModels without a price (GET /v1/models/unpriced): their cost is NULL, never $0\n');
  console.table((unpriced.rows ?? unpriced.models ?? []).map((r) => ({ model: r.model, provider: r.provider, events: r.events })));
}

await main();
