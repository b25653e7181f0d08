import type { BusMessage } from '../core/bus/event-bus.ts';
import { DlqHeaders } from '../core/dlq.ts';
import { toClickHouseTime } from '../core/store/clickhouse-values.ts';

/**
 * A message from llm.dlq → one row of `dlq` (value kept byte-exact as base64). `bytes`
 * gives a value's bytes (the in-process registry encodes them only when asked).
 */
export function toDlqRow(m: BusMessage, bytes: (value: Buffer) => Buffer = (v) => v): Record<string, unknown> {
  const h = m.headers;
  const failedAt = Date.parse(h[DlqHeaders.failedAt] ?? '');
  return {
    ts: toClickHouseTime(Number.isFinite(failedAt) ? failedAt : m.timestamp),
    stage: h[DlqHeaders.stage] ?? '',
    source_topic: h[DlqHeaders.sourceTopic] ?? '',
    source_partition: toInt(h[DlqHeaders.sourcePartition]),
    source_offset: toInt(h[DlqHeaders.sourceOffset]),
    error_code: h[DlqHeaders.errorCode] ?? '',
    reason: h[DlqHeaders.reason] ?? '',
    message_key: m.key ?? '',
    value_base64: bytes(m.value).toString('base64'),
    headers: h,
  };
}

function toInt(s: string | undefined): number {
  const n = Number(s);
  return Number.isFinite(n) ? n : -1;
}
