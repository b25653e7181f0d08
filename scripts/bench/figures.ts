/** Section results → the figures of the table, with targets and ratios (pure). */
import type { Figure } from './report.ts';
import { TARGETS } from './report.ts';
import type { DistributedResult } from './section-distributed.ts';
import type { EmbeddedResult } from './section-embedded.ts';
import type { LimitResult } from './section-limit.ts';
import type { QueriesResult } from './section-queries.ts';
import type { OtlpResult } from './section-otlp.ts';

type Failed = { error: string };
export interface SectionResults {
  limit?: LimitResult | Failed;
  embedded?: EmbeddedResult | Failed;
  distributed?: DistributedResult | Failed;
  queries?: QueriesResult | Failed;
  otlp?: OtlpResult | Failed;
}

const ok = <T extends object>(r: T | Failed | undefined): T | null => (r && !('error' in r) ? r : null);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function buildFigures(results: SectionResults): Figure[] {
  const figures: Figure[] = [];
  const limit = ok(results.limit);
  const embedded = ok(results.embedded);
  const dist = ok(results.distributed);
  const queries = ok(results.queries);
  const limitRate = limit?.raw.rowsPerS;
  const vsLimit = (x: number | null | undefined) => (limitRate && x ? x / limitRate : undefined);
  const failed = (section: string, r: Failed | object | undefined) => {
    if (r && 'error' in r) figures.push({ section, metric: 'FAILED (see report.sections)', value: null, unit: 'count', note: String(r.error).split('\n')[0].slice(0, 100) });
  };

  failed('1 limit', results.limit);
  if (limit) {
    figures.push({ section: '1 limit', metric: '(a) INSERT INTO traces SELECT … (+ rollup MVs)', value: limit.insertSelect.rowsPerS, unit: 'rows/s', vsLimit: vsLimit(limit.insertSelect.rowsPerS), note: `${fmt(limit.rows)} rows, exact ${limit.insertSelect.exact}` });
    figures.push({ section: '1 limit', metric: '(b) raw JSONEachRow insert, @clickhouse/client', value: limit.raw.rowsPerS, unit: 'rows/s', vsLimit: 1, note: `${fmt(limit.rows)} rows × ${fmt(limit.avgRowBytes)} B, batches of ${fmt(limit.insertBatch)}, exact ${limit.raw.exact}` });
  }

  failed('2 embedded', results.embedded);
  if (embedded) {
    figures.push({
      section: '2 embedded',
      metric: 'HTTP ingest → traces + rollups',
      value: embedded.eventsPerS,
      unit: 'events/s',
      target: TARGETS.embeddedEventsPerS,
      vsLimit: vsLimit(embedded.eventsPerS),
      note: `${fmt(embedded.events)} events × ${fmt(embedded.avgEventBytes)} B, ${embedded.clients} clients × ${embedded.batch}/req, exact ${embedded.exact}${limit ? `; ÷(a) ${(embedded.eventsPerS / limit.insertSelect.rowsPerS).toFixed(2)}×` : ''}`,
    });
    figures.push({ section: '2 embedded', metric: 'pipeline events per CPU-second', value: embedded.eventsPerCpuS, unit: 'events/s', vsLimit: vsLimit(embedded.eventsPerCpuS), note: `${embedded.pipelineCpuSeconds} CPU-s in ${embedded.countedSeconds} s` });
    const f = embedded.freshness;
    if (f) {
      figures.push({ section: '4 freshness', metric: 'p50 2xx → visible on GET /v1/traces/:id', value: f.visible.p50, unit: 'ms' });
      figures.push({
        section: '4 freshness',
        metric: 'p95 2xx → visible on GET /v1/traces/:id',
        value: f.visible.p95,
        unit: 'ms',
        target: TARGETS.freshnessP95Ms,
        note: `at ${fmt(f.achievedEventsPerS)}/${fmt(f.targetEventsPerS)} events/s (½ of 2), ${f.visible.count} of ${f.requests} requests probed, ack p95 ${f.ingestAck.p95} ms, errors ${f.errors}, never visible ${f.neverVisible}`,
      });
    }
  }

  const o = embedded?.overload;
  if (o) {
    figures.push({
      section: '7 overload',
      metric: `2xx events stored while offered ${o.factor}× the rate of 2`,
      value: o.goodputEventsPerS,
      unit: 'events/s',
      vsLimit: vsLimit(o.goodputEventsPerS),
      note: `${fmt(o.targetEventsPerS)} events/s offered for ${o.seconds} s: ${fmt(o.accepted.requests)} requests 2xx, ${fmt(o.refused.requests)} 503 overloaded (refusal p95 ${o.refusal.p95} ms), ${o.timedOut.requests} timed out, ${o.other.requests} other; exact ${o.exact}`,
    });
    figures.push({ section: '7 overload', metric: 'p95 request → 2xx while overloaded', value: o.ack2xx.p95, unit: 'ms', note: `p50 ${o.ack2xx.p50} ms; admission bounds INGEST_MAX_PENDING_EVENTS / INGEST_MAX_CONCURRENT_REQUESTS at their defaults` });
  }

  failed('3 distributed', results.distributed);
  if (dist) {
    const p = (name: string) => dist.processes.find((x) => x.name === name);
    const enricher = p('enricher');
    const writer = p('writer');
    figures.push({ section: '3 distributed', metric: 'path end to end (produce → traces + rollups)', value: dist.pipelineEventsPerS, unit: 'events/s', vsLimit: vsLimit(dist.pipelineEventsPerS), note: `${fmt(dist.events)} events, ${dist.partitions} partitions, exact ${dist.exact}` });
    if (enricher) {
      figures.push({ section: '3 distributed', metric: 'enricher process, per CPU-second', value: enricher.perCpuS, unit: 'events/s', target: TARGETS.enricherEventsPerS, note: `wall ${enricher.wallPerS === null ? '–' : fmt(enricher.wallPerS)}/s (paced by the whole path), ${enricher.cpuSeconds} CPU-s` });
    }
    if (writer) {
      figures.push({ section: '3 distributed', metric: 'writer process, per CPU-second', value: writer.perCpuS, unit: 'rows/s', target: TARGETS.writerRowsPerS, vsLimit: vsLimit(writer.perCpuS), note: `wall ${writer.wallPerS === null ? '–' : fmt(writer.wallPerS)}/s, ${writer.cpuSeconds} CPU-s (+ clickhouse service ${p('clickhouse')?.cpuSeconds ?? '?'} CPU-s); ${fmt(dist.writerBatches.batches)} inserts of ${dist.writerBatches.rowsPerBatch} rows on average` });
    }
    for (const s of dist.stages) {
      figures.push({ section: '3 stages', metric: `${s.side}: ${s.stage}`, value: s.eventsPerS, unit: 'events/s', note: `${fmt(s.nsPerEvent)} ns/event, 1 core, ${fmt(dist.stageSample)} events` });
    }
    figures.push({ section: '3 stages', metric: 'writer: insert (HTTP → clickhouse service)', value: dist.httpInsert.rowsPerS, unit: 'rows/s', vsLimit: vsLimit(dist.httpInsert.rowsPerS), note: `${fmt(dist.httpInsert.rows)} rows in ${dist.httpInsert.seconds} s` });
  }

  failed('5 queries', results.queries);
  if (queries) {
    figures.push({ section: '5 queries', metric: `generate ${fmt(queries.rows)} traces (INSERT … SELECT numbers())`, value: queries.generationRowsPerS, unit: 'rows/s', note: `${queries.generationSeconds} s (+ ${fmt(queries.scores)} scores in ${queries.scoresSeconds} s; hour rollups merged in ${queries.mergeSeconds} s, closed hours' quantiles finished in ${queries.finishSeconds} s); rollups exact ${queries.check.exact}` });
    for (const q of queries.queries) {
      for (const [i, load] of q.api.entries()) {
        const ref = q.reference[i];
        figures.push({
          section: '5 queries',
          metric: `${q.name} p95 @ ${load.clients} client${load.clients > 1 ? 's' : ''}`,
          value: load.latency.p95,
          unit: 'ms',
          target: load.clients === 1 ? TARGETS.queryP95Ms1 : TARGETS.queryP95Ms32,
          vsLimit: ref && load.latency.p95 > 0 ? ref.latency.p95 / load.latency.p95 : undefined,
          note: `p50 ${load.latency.p50} p99 ${load.latency.p99} ms, n=${load.latency.count}, errors ${load.errors}; scan p95 ${ref?.latency.p95 ?? '–'} ms${q.truncated ? `; TRUNCATED at ${fmt(q.responseRows)} rows` : ''}`,
        });
      }
    }
  }

  const mem = (section: string, name: string, mib: number | undefined) => {
    if (mib !== undefined && mib > 0) figures.push({ section: '6 memory', metric: `${name} peak RSS`, value: mib, unit: 'MiB', target: TARGETS.rssMiB, note: section });
  };
  if (embedded) {
    mem('during 2', 'all-in-one (embedded)', embedded.pipelinePeakRssMiB);
    if (embedded.freshness) mem('during 2 and 4', 'all-in-one (embedded)', embedded.freshness.pipelinePeakRssMiB);
    if (embedded.overload) mem('during 7 (overload)', 'all-in-one (embedded)', embedded.overload.pipelinePeakRssMiB);
  }
  if (dist) for (const p of dist.processes) if (p.name !== 'producer (bench)') mem('during 3', p.name, p.peakRssMiB);
  if (queries) mem(`during 5's API queries (bench load on the same process: bulk load ${fmt(queries.loadPeakRssMiB)} MiB, reference scans ${fmt(queries.referencePeakRssMiB)} MiB)`, 'all-in-one (queries)', queries.pipelinePeakRssMiB);
  failed('8 otlp', results.otlp);
  const otlp = ok(results.otlp);
  if (otlp) {
    for (const [enc, r] of [['protobuf', otlp.protobuf], ['JSON', otlp.json]] as const) {
      figures.push({
        section: '8 otlp',
        metric: `POST /otlp/v1/traces (${enc}) → traces + rollups`,
        value: r.spansPerS,
        unit: 'spans/s',
        vsLimit: vsLimit(r.spansPerS),
        note: `${fmt(r.spans)} spans (half LLM), ${otlp.spansPerRequest}/req × ${fmt(r.avgRequestKiB)} KiB, ${otlp.clients} clients, exact ${r.exact}`,
      });
    }
  }
  return figures;
}

/** Anything that makes a figure untrustworthy, worst first (INEXACT/FAILED fail the run). */
export function collectWarnings(results: SectionResults, ctx: { loadBefore: number; cpus: number }): string[] {
  const w: string[] = [];
  for (const [name, r] of Object.entries(results)) if (r && 'error' in r) w.push(`FAILED section ${name}: ${String(r.error).split('\n')[0]}`);
  const limit = ok(results.limit);
  const embedded = ok(results.embedded);
  const dist = ok(results.distributed);
  const queries = ok(results.queries);
  if (limit && !limit.raw.exact) w.push(`INEXACT limit (b): counts ${JSON.stringify(limit.raw.counts)} for ${limit.rows} rows`);
  if (limit && !limit.insertSelect.exact) w.push(`INEXACT limit (a): counts ${JSON.stringify(limit.insertSelect.counts)} for ${limit.rows} rows`);
  if (embedded && !embedded.exact) w.push(`INEXACT embedded: counts ${JSON.stringify(embedded.counts)} for ${embedded.events + embedded.warmupEvents} events`);
  if (embedded?.freshness && !embedded.freshness.exact) w.push('INEXACT freshness: traces count does not match the events sent');
  if (embedded?.freshness && (embedded.freshness.errors > 0 || embedded.freshness.neverVisible > 0)) w.push(`freshness: ${embedded.freshness.errors} errors, ${embedded.freshness.neverVisible} events never visible within 30 s`);
  if (embedded?.freshness && embedded.freshness.achievedEventsPerS < embedded.freshness.targetEventsPerS * 0.9) w.push(`freshness: only ${embedded.freshness.achievedEventsPerS} of the ${embedded.freshness.targetEventsPerS} events/s asked for were sent (pipeline or loader fell behind)`);
  const o = embedded?.overload;
  if (o && !o.exact) w.push(`INEXACT overload: ${o.stored} rows in traces, expected ${o.expectedStored} (the events answered 2xx)${o.timedOut.events > 0 ? ` to ${o.expectedStored + o.timedOut.events} with the timed-out ones` : ''}`);
  if (o && (o.other.requests > 0 || o.refused.withoutRetryAfter > 0)) w.push(`overload: ${o.other.requests} answers neither 2xx nor 503 (${o.other.sample.join(' | ')}), ${o.refused.withoutRetryAfter} 503s without Retry-After`);
  if (dist && !dist.exact) w.push(`INEXACT distributed: counts ${JSON.stringify(dist.counts)} for ${dist.events} events${dist.agedOut.raw + dist.agedOut.enriched > 0 ? ' (the mock broker dropped old data)' : ''}`);
  if (dist && dist.dlqMessages > 0) w.push(`distributed: ${dist.dlqMessages} messages in the DLQ`);
  if (queries && !queries.check.exact) w.push(`INEXACT queries: API total ${queries.check.apiRequests} vs ${queries.check.tracesInRange} traces in range, ${queries.rows} generated`);
  if (queries) {
    for (const q of queries.queries) {
      if (q.truncated) w.push(`queries: ${q.name} (30 days × hour × feature × model) exceeds the API's 10,000-row cap: the answer is truncated, and writing and sending its 10,000 rows (MBs of JSON) dominates its cost`);
      const errs = [...q.api, ...q.reference].reduce((s, l) => s + l.errors, 0);
      if (errs > 0) w.push(`queries: ${q.name}: ${errs} failed requests`);
    }
  }
  if (embedded && embedded.loaderPeakRssMiB > 0) w.push(`embedded: the load generator (pre-built bodies) peaked at ${embedded.loaderPeakRssMiB} MiB in its own process; not counted as pipeline memory`);
  if (ctx.loadBefore > ctx.cpus) w.push(`the machine was busy (load average ${ctx.loadBefore.toFixed(1)} on ${ctx.cpus} CPUs at start): rates are low and latencies high; rerun on an idle machine`);
  return w;
}
