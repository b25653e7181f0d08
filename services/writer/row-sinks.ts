import type { BusMessage } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { decodeEnriched } from '../core/schema/enriched-trace.ts';
import { decodeScore } from '../core/schema/score.ts';
import type { Row, Store } from '../core/store/store.ts';
import { RecentIds } from './recent-ids.ts';
import { scoreRowKey, toScoreRow } from './score-row.ts';
import { toTraceRow, traceRowKey } from './trace-row.ts';

/**
 * What the writer needs to know about one consumed topic to store it: the table, how a
 * message becomes a row (a throw sends the message to the DLQ), the row's identity for
 * dropping repeats, and which of a set of rows are already stored (asked only when a
 * delivery holds just the head of a logged batch, whose token cannot be reused).
 */
export interface RowSink {
  table: string;
  toRow(m: BusMessage): Row;
  key(row: Row): string;
  /** Identities recently stored by this writer (repeats arriving as new messages); optional. */
  recent?: RecentIds;
  alreadyStored(rows: readonly Row[]): Promise<Set<string>>;
}

const EXISTING_TRACE_IDS_SQL = 'SELECT DISTINCT trace_id, span_id FROM traces WHERE trace_id IN {ids:Array(String)}';

/** llm.traces.enriched → traces; identity = (trace_id, span_id) (the table collapses repeats by it). */
export function traceSink(store: Store, registry: AvroRegistry, recent: RecentIds): RowSink {
  return {
    table: 'traces',
    toRow: (m) => toTraceRow(decodeEnriched(registry, m.value)),
    key: (row) => traceRowKey(row.trace_id as string, row.span_id as string),
    recent,
    async alreadyStored(rows) {
      const ids = [...new Set(rows.map((r) => r.trace_id as string))];
      const existing = await store.query<{ trace_id: string; span_id: string }>(EXISTING_TRACE_IDS_SQL, { ids });
      return new Set(existing.map((r) => traceRowKey(r.trace_id, r.span_id)));
    },
  };
}

const EXISTING_SCORES_SQL = `
SELECT source, name, score_id, toString(ts) AS ts_text
FROM scores
WHERE score_id IN {ids:Array(String)}`;

/**
 * llm.scores → scores. Identity = (source, name, score_id, ts): a replayed message is the
 * same row, while a later vote with the same score_id is a new row that supersedes the
 * old one (ReplacingMergeTree(ts) in the table, argMax by ts in the quality queries).
 */
export function scoreSink(store: Store, registry: AvroRegistry): RowSink {
  return {
    table: 'scores',
    toRow: (m) => toScoreRow(decodeScore(registry, m.value)),
    key: scoreRowKey,
    async alreadyStored(rows) {
      const ids = [...new Set(rows.map((r) => r.score_id as string))];
      const existing = await store.query<{ source: string; name: string; score_id: string; ts_text: string }>(EXISTING_SCORES_SQL, { ids });
      // toString(DateTime64(3, 'UTC')) is the row's own 'YYYY-MM-DD hh:mm:ss.mmm'
      return new Set(existing.map((r) => scoreRowKey({ ...r, ts: r.ts_text })));
    },
  };
}
