import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { buildClickHouseHttpInterface } from './http-interface.ts';

/**
 * The ClickHouse HTTP interface over the engine on DATA_DIR, as both entries run it:
 * analysts read-only; the service credential (CLICKHOUSE_SERVICE_USER/PASSWORD), when
 * set, may write. Listening is the caller's (CLICKHOUSE_HTTP_HOST:CLICKHOUSE_HTTP_PORT).
 */
export function clickHouseHttpFromConfig(config: Config, log: Logger): FastifyInstance {
  return buildClickHouseHttpInterface({
    dataDir: config.DATA_DIR,
    serviceUser: config.CLICKHOUSE_SERVICE_PASSWORD ? { username: config.CLICKHOUSE_SERVICE_USER, password: config.CLICKHOUSE_SERVICE_PASSWORD } : undefined,
    log: log.child({ component: 'clickhouse-http' }),
  });
}
