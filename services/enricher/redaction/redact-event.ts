import type { TraceEvent } from '../../core/schema/trace-event.ts';
import { compileGlob } from '../../core/glob.ts';
import { COUNT_KEY_PREFIX, PII_KINDS, zeroCounts, type RedactionCounts } from './kinds.ts';
import { redactText } from './redact-text.ts';
import { redactionEnabled, type RedactionSettings } from './redaction-settings.ts';

export interface RedactedEvent {
  /** The redacted copy, or the very same object when redaction did not apply. */
  event: TraceEvent;
  counts: RedactionCounts;
  /** Whether the event's feature is opted in (the event was scanned). */
  applied: boolean;
}

const featureMatchers = new WeakMap<RedactionSettings, (feature: string) => boolean>();

function matchesFeature(settings: RedactionSettings, feature: string): boolean {
  if (settings.features === 'none') return false;
  let match = featureMatchers.get(settings);
  if (!match) featureMatchers.set(settings, (match = compileGlob(settings.features)));
  return match(feature);
}

/**
 * Redacts one validated trace event per the settings, so PII never leaves the enricher
 * towards ClickHouse. Only events whose `feature` matches a configured glob are
 * touched; others are returned as-is (same object), which is what makes redaction a
 * per-feature opt-in with zero effect when off.
 *
 * For a scanned event the counts are also written into `metadata` as
 * `pii_redacted.<kind>` = decimal string, for kinds with at least one redaction, so they
 * are queryable in `traces.metadata`. The `pii_redacted.` prefix is reserved: keys with
 * it that the client sent are dropped from scanned events, so counts cannot be forged.
 * Metadata keys are never redacted, only values.
 */
export function redactEvent(event: TraceEvent, settings: RedactionSettings | undefined): RedactedEvent {
  if (!redactionEnabled(settings) || !matchesFeature(settings, event.feature)) {
    return { event, counts: zeroCounts(), applied: false };
  }
  const counts = zeroCounts();
  const scan = (text: string): string => {
    const r = redactText(text, settings.kinds);
    for (const kind of PII_KINDS) counts[kind] += r.counts[kind];
    return r.text;
  };
  const fields = new Set(settings.fields);
  const input = fields.has('input') && event.input !== null ? scan(event.input) : event.input;
  const output = fields.has('output') && event.output !== null ? scan(event.output) : event.output;
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.metadata)) {
    if (key.startsWith(COUNT_KEY_PREFIX)) continue;
    metadata[key] = fields.has('metadata') ? scan(value) : value;
  }
  for (const kind of PII_KINDS) if (counts[kind] > 0) metadata[`${COUNT_KEY_PREFIX}${kind}`] = String(counts[kind]);
  return { event: { ...event, input, output, metadata }, counts, applied: true };
}
