import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { silentLogger } from '../core/logger.ts';
import { decodeEnriched, type EnrichedTrace } from '../core/schema/enriched-trace.ts';
import { parseTraceEvent } from '../core/schema/trace-event.ts';
import { createEnricher, type EnricherStats } from './enricher.ts';
import { createPricer } from '../core/pricing/pricer.ts';
import { realTable } from '../../test/support/pricing/price-tables.ts';
import { parseRedactionEnv } from './redaction/redaction-env.ts';
import { REDACTION_OFF, type RedactionSettings } from './redaction/redaction-settings.ts';

const registry = loadAvroRegistry();
const pricer = createPricer(realTable());
const TOPICS = { raw: 'llm.traces.raw', enriched: 'llm.traces.enriched', dlq: 'llm.dlq' };

const events = [
  {
    trace_id: 'support-1',
    timestamp: '2026-01-31T12:00:00Z',
    model: 'gpt-4o',
    feature: 'support-chat',
    input: 'My email is jane@example.com and my card is 4111 1111 1111 1111.',
    output: 'Thanks, I will email jane@example.com.',
    input_tokens: 20,
    output_tokens: 10,
    metadata: { customer: 'jane@example.com', tier: 'gold' },
  },
  {
    trace_id: 'code-1',
    timestamp: '2026-01-31T12:00:01Z',
    model: 'gpt-4o',
    feature: 'code-assist',
    input: 'Why does OPENAI_API_KEY=sk-proj-AbC123dEf456GhI789jKl012MnO fail for jane@example.com?',
    output: 'Rotate the key.',
    metadata: { repo: 'acme/app' },
  },
];

interface Run {
  published: Map<string, { value: Buffer; trace: EnrichedTrace }>;
  stats: EnricherStats;
}

/** Raw JSON events → enricher over the in-process bus → what appears on the enriched topic. */
async function run(redaction: RedactionSettings | undefined): Promise<Run> {
  const bus = createMemoryBus({ waitForConsumers: true });
  const published = new Map<string, { value: Buffer; trace: EnrichedTrace }>();
  const collector = await bus.subscribe({
    topics: [TOPICS.enriched],
    group: 'test-collector',
    onBatch: async (b) => {
      for (const m of b.messages) published.set(m.key ?? '', { value: m.value, trace: decodeEnriched(registry, m.value) });
    },
  });
  const enricher = createEnricher({ bus, registry, pricer, log: silentLogger(), topics: TOPICS, group: 'llm-enricher', maxBatchSize: 100, now: () => 1_700_000_000_000, redaction });
  await enricher.start();
  // With waitForConsumers, publish resolves once the enricher (and, transitively, the collector) processed it.
  await bus.publish(TOPICS.raw, events.map((e) => ({ key: e.trace_id, value: Buffer.from(JSON.stringify(e)) })));
  const stats = enricher.stats();
  await enricher.stop();
  await collector.close();
  await bus.close();
  return { published, stats };
}

describe('enricher with PII redaction', () => {
  it('publishes the redacted text, with counts in metadata, for opted-in features only', async () => {
    const { published, stats } = await run(parseRedactionEnv({ REDACT_FEATURES: 'support-*' }));
    assert.equal(published.size, 2);

    const support = published.get('support-1')!.trace;
    assert.equal(support.event.input, 'My email is [REDACTED:email] and my card is [REDACTED:card].');
    assert.equal(support.event.output, 'Thanks, I will email [REDACTED:email].');
    assert.deepEqual(support.event.metadata, { customer: '[REDACTED:email]', tier: 'gold', 'pii_redacted.email': '3', 'pii_redacted.card': '1' });
    assert.equal(support.pricing_status, 'priced', 'pricing is unaffected');
    assert.ok(!published.get('support-1')!.value.includes('jane@example.com'), 'the address is nowhere in the published bytes');

    const code = published.get('code-1')!.trace;
    assert.equal(code.event.input, events[1].input, 'code-assist is not opted in');
    assert.deepEqual(code.event.metadata, { repo: 'acme/app' });

    assert.equal(stats.enriched, 2);
    assert.equal(stats.deadLettered, 0);
    assert.equal(stats.redactionScanned, 1);
    assert.deepEqual(stats.redactions, { email: 3, phone: 0, card: 1, iban: 0, secret: 0 });
  });

  it('redacts every feature with *, restricted to the configured kinds and fields', async () => {
    const { published } = await run(parseRedactionEnv({ REDACT_FEATURES: '*', REDACT_KINDS: 'secret', REDACT_FIELDS: 'input' }));
    const code = published.get('code-1')!.trace.event;
    assert.equal(code.input, 'Why does OPENAI_API_KEY=[REDACTED:secret] fail for jane@example.com?');
    assert.equal(code.metadata['pii_redacted.secret'], '1');
    const support = published.get('support-1')!.trace.event;
    assert.equal(support.input, events[0].input, 'no secret in it; emails and cards not requested');
    assert.equal(support.metadata.customer, 'jane@example.com', 'metadata not requested');
  });

  it('changes nothing when redaction is off: same bytes as without the option', async () => {
    const baseline = await run(undefined);
    for (const e of events) {
      const parsed = parseTraceEvent(e);
      assert.ok(parsed.ok);
      // Avro decodes into a record class; compare the fields.
      assert.deepEqual({ ...baseline.published.get(e.trace_id)!.trace.event }, parsed.value, 'the event is published as validated');
    }
    for (const off of [REDACTION_OFF, parseRedactionEnv({}), parseRedactionEnv({ REDACT_FEATURES: 'billing-*' })]) {
      const r = await run(off);
      for (const e of events) assert.deepEqual(r.published.get(e.trace_id)!.value, baseline.published.get(e.trace_id)!.value, `${JSON.stringify(off.features)} ${e.trace_id}`);
      assert.deepEqual(r.stats.redactions, { email: 0, phone: 0, card: 0, iban: 0, secret: 0 });
    }
    assert.equal(baseline.stats.redactionScanned, 0);
  });
});
