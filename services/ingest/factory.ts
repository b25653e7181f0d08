import type { FastifyInstance } from 'fastify';
import type { EventBus } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { WriteSpace } from '../core/store/write-space.ts';
import { topicsOf } from '../core/wiring.ts';
import { createAdmission, type Admission } from './admission.ts';
import { registerFeedbackRoutes } from './feedback-routes.ts';
import type { ApiKeyStore } from '../core/auth/keys.ts';
import { startOtlpGrpc, type OtlpGrpcServer } from './otlp/otlp-grpc.ts';
import { registerOtlpRoutes } from './otlp/otlp-routes.ts';
import { registerIngestRoutes } from './routes.ts';

export interface IngestFactoryDeps {
  config: Config;
  log: Logger;
  bus: EventBus;
  registry: AvroRegistry;
  /** Embedded only: the store's disk space, so ingest refuses at once while it is full. */
  space?: WriteSpace;
}

/**
 * Ingest as both entries run it: POST /v1/traces and POST /otlp/v1/traces (OTLP/HTTP) → llm.traces.raw, POST /v1/feedback
 * → llm.scores, mounted on an app the entry owns (its own in distributed mode, the one
 * shared with the query API in the all-in-one process).
 */
export function registerIngest(app: FastifyInstance, deps: IngestFactoryDeps): Admission {
  const c = deps.config;
  const topics = topicsOf(c);
  // One bound for both routes: they fill the same bus and the same process.
  const admission = createAdmission({ maxPendingEvents: c.INGEST_MAX_PENDING_EVENTS, maxRequests: c.INGEST_MAX_CONCURRENT_REQUESTS });
  const traces = {
    bus: deps.bus,
    registry: deps.registry,
    log: deps.log,
    topic: topics.raw,
    maxEvents: c.INGEST_MAX_EVENTS,
    publishFormat: c.INGEST_PUBLISH_FORMAT,
    ackTimeoutMs: c.INGEST_ACK_TIMEOUT_MS,
    admission,
    space: deps.space,
  };
  registerIngestRoutes(app, traces);
  registerOtlpRoutes(app, { ...traces, maxSpans: c.INGEST_OTLP_MAX_SPANS });
  registerFeedbackRoutes(app, { bus: deps.bus, registry: deps.registry, log: deps.log, topic: topics.scores, ackTimeoutMs: c.INGEST_ACK_TIMEOUT_MS, maxItems: c.INGEST_MAX_EVENTS, admission, space: deps.space });
  return admission;
}

/** OTLP/gRPC beside the HTTP routes when OTLP_GRPC_PORT is set (same admission, disk watch and keys); null otherwise. */
export async function startOtlpGrpcFromConfig(deps: IngestFactoryDeps & { admission: Admission; keys?: ApiKeyStore }): Promise<OtlpGrpcServer | null> {
  const c = deps.config;
  if (c.OTLP_GRPC_PORT === undefined) return null;
  return startOtlpGrpc({
    host: c.HOST,
    port: c.OTLP_GRPC_PORT,
    maxMessageBytes: c.INGEST_MAX_BODY_BYTES,
    keys: deps.keys,
    bus: deps.bus,
    registry: deps.registry,
    log: deps.log,
    topic: topicsOf(c).raw,
    maxEvents: c.INGEST_MAX_EVENTS,
    maxSpans: c.INGEST_OTLP_MAX_SPANS,
    publishFormat: c.INGEST_PUBLISH_FORMAT,
    ackTimeoutMs: c.INGEST_ACK_TIMEOUT_MS,
    admission: deps.admission,
    space: deps.space,
  });
}
