import { parseArgs } from 'node:util';
import { syntheticTraces } from './lib/synthetic-traces.ts';

/**
 * `npm run demo [-- --events 5000 --url http://127.0.0.1:3000]`: sends realistic
 * synthetic traffic and some user feedback to a running pipeline, then prints cost by
 * feature, the models that have no price, and quality per rule and prompt version, read
 * back from the query API.
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
      if (process.stdout.isTTY) process.stdout.write(`\rsent ${sent}/${total} events`);
    }
  }
  if (batch.length > 0) sent += await post(batch);
  const secs = (Date.now() - started) / 1000;
  process.stdout.write(`\rsent ${sent}/${total} events in ${secs.toFixed(1)} s (${Math.round(sent / secs)} events/s), all acknowledged (in ClickHouse)\n\n`);

  // User feedback on about one call in ten: thumbs up more often on newer prompt versions.
  const feedback = [];
  let k = 0;
  for (const e of syntheticTraces(total, { seed: Number(values.seed) })) {
    if (k++ % 10 !== 0) continue;
    const upShare = e.prompt_version === 'v3' ? 80 : e.prompt_version === 'v2' ? 65 : 50;
    feedback.push({ trace_id: e.trace_id, value: (k * 7919) % 100 < upShare ? 'up' : 'down', user_id: `user-${k % 97}` });
  }
  for (let i = 0; i < feedback.length; i += 500) {
    const res = await fetch(`${url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ feedback: feedback.slice(i, i + 500) }) });
    if (res.status !== 202) throw new Error(`POST /v1/feedback answered ${res.status}: ${await res.text()}`);
  }
  process.stdout.write(`sent ${feedback.length} user feedback votes\n`);

  const cost = (await (await fetch(`${url}/v1/metrics/cost?group_by=feature&interval=none&from=${new Date(Date.now() - 2 * 3600_000).toISOString()}`)).json()) as { rows: Record<string, unknown>[] };
  process.stdout.write('Cost by feature, last 2 hours (GET /v1/metrics/cost?group_by=feature&interval=none)\n');
  console.table(cost.rows.map((r) => ({ feature: r.feature, requests: r.requests, cost_usd: r.cost_usd, unpriced_requests: r.unpriced_requests })));
  const unpriced = (await (await fetch(`${url}/v1/models/unpriced`)).json()) as { rows?: Record<string, unknown>[]; models?: Record<string, unknown>[] };
  process.stdout.write('\nModels without a price (GET /v1/models/unpriced): their cost is NULL, never $0\n');
  console.table((unpriced.rows ?? unpriced.models ?? []).map((r) => ({ model: r.model, provider: r.provider, events: r.events })));

  // Evals run asynchronously: wait until the eval count stops growing.
  const qualityUrl = `${url}/v1/metrics/quality?group_by=name,prompt_version&interval=none&source=eval&from=${new Date(Date.now() - 2 * 3600_000).toISOString()}`;
  let quality: { rows: Record<string, unknown>[] } = { rows: [] };
  for (let last = -1, waited = 0; waited < 30_000; waited += 1000) {
    quality = (await (await fetch(qualityUrl)).json()) as typeof quality;
    const n = quality.rows.reduce((sum, r) => sum + Number(r.count), 0);
    if (n > 0 && n === last) break;
    last = n;
    await new Promise((r) => setTimeout(r, 1000));
  }
  process.stdout.write('\nEval quality by rule and prompt version (GET /v1/metrics/quality?group_by=name,prompt_version&source=eval)\n');
  console.table(quality.rows.map((r) => ({ score: r.name, prompt_version: r.prompt_version, count: r.count, mean: Number(r.mean).toFixed(3), failing_share: r.failing_share === null ? '' : Number(r.failing_share).toFixed(3) })));
  const user = (await (await fetch(`${url}/v1/metrics/quality?group_by=prompt_version&interval=none&source=user`)).json()) as { rows: Record<string, unknown>[] };
  process.stdout.write('\nUser feedback by prompt version (source=user, joined to the traces)\n');
  console.table(user.rows.map((r) => ({ prompt_version: r.prompt_version, votes: r.count, thumbs_up_share: Number(r.mean).toFixed(3) })));
  process.stdout.write('\nCompare two prompt versions: curl "' + url + '/v1/quality/compare?feature=support-chat&baseline=v1&candidate=v2"\n');
}

await main();
