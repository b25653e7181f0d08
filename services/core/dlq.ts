import type { BusMessage, OutgoingMessage } from './bus/event-bus.ts';
import { PipelineError } from './errors.ts';

/** Headers every dead letter carries, so `npm run dlq` and analysts can trace it back. */
export const DlqHeaders = {
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  reason: 'dlq.reason',
  errorCode: 'dlq.error.code',
  stage: 'dlq.stage',
  failedAt: 'dlq.failed_at',
} as const;

const MAX_REASON = 2_000;

/** The original message, unchanged, plus headers naming where it came from and why. */
export function toDeadLetter(message: BusMessage, stage: string, error: unknown, now: number = Date.now()): OutgoingMessage {
  const reason = error instanceof Error ? error.message : String(error);
  const code = error instanceof PipelineError ? error.code : 'PIPE_UNEXPECTED';
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DlqHeaders.sourceTopic]: message.topic,
      [DlqHeaders.sourcePartition]: String(message.partition),
      [DlqHeaders.sourceOffset]: message.offset,
      [DlqHeaders.reason]: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason,
      [DlqHeaders.errorCode]: code,
      [DlqHeaders.stage]: stage,
      [DlqHeaders.failedAt]: new Date(now).toISOString(),
    },
  };
}
