import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { authFromConfig } from '../core/auth/from-config.ts';
import type { Config } from '../core/config.ts';
import { registerHealthRoutes } from '../core/health.ts';
import { createHttpApp } from '../core/http-app.ts';
import { drainPeriod, type RunningService } from '../core/lifecycle.ts';
import type { Logger } from '../core/logger.ts';
import { kafkaBusFromConfig } from '../core/wiring.ts';
import { registerIngest, startOtlpGrpcFromConfig } from './factory.ts';

/** `npm run service -- ingest`: HTTP /v1/traces → Kafka llm.traces.raw. */
export async function start(config: Config, log: Logger): Promise<RunningService> {
  let ready = false;
  // First: a non-loopback HOST without API keys refuses to start before connecting to anything.
  const auth = authFromConfig(config, log);
  const bus = kafkaBusFromConfig(config, log);
  const app = createHttpApp({ log, bodyLimit: config.INGEST_MAX_BODY_BYTES, auth });
  registerHealthRoutes(app, [() => ready]);
  const registry = loadAvroRegistry();
  const admission = registerIngest(app, { config, log, bus, registry });
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  const grpc = await startOtlpGrpcFromConfig({ config, log, bus, registry, admission, keys: auth?.keys });
  log.info({ address, otlp_grpc_port: grpc?.port ?? null }, 'ingest listening');
  ready = true;
  return {
    ready: () => ready,
    async stop() {
      ready = false;
      await drainPeriod(config.SHUTDOWN_DRAIN_MS);
      await grpc?.stop();
      await app.close();
      await bus.close();
    },
  };
}
