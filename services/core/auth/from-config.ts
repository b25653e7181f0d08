import { readFileSync } from 'node:fs';
import type { Config } from '../config.ts';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HttpAuthOptions } from './http-auth.ts';
import { ApiKeyStore, parseApiKeyFile, parseApiKeysEnv } from './keys.ts';

type AuthConfig = Pick<Config, 'HOST' | 'API_KEYS_FILE' | 'API_KEYS' | 'ALLOW_UNAUTHENTICATED' | 'RATE_LIMIT_PER_MINUTE'>;

/** The keys of API_KEYS_FILE and API_KEYS together (either, both or neither). */
export function loadApiKeys(config: Pick<Config, 'API_KEYS_FILE' | 'API_KEYS'>, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): ApiKeyStore {
  const records = [];
  if (config.API_KEYS_FILE !== undefined) {
    let text: string;
    try {
      text = readFile(config.API_KEYS_FILE);
    } catch (err) {
      throw new PipelineError(ErrorCodes.CONFIG_INVALID, `API_KEYS_FILE: cannot read ${config.API_KEYS_FILE} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    records.push(...parseApiKeyFile(text, `API_KEYS_FILE ${config.API_KEYS_FILE}`));
  }
  if (config.API_KEYS !== undefined) records.push(...parseApiKeysEnv(config.API_KEYS));
  return new ApiKeyStore(records);
}

/** 127.0.0.0/8, ::1 and `localhost`: only this machine can connect. 0.0.0.0 and :: are every interface. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Refuses to serve the API beyond this machine without keys: a non-loopback HOST needs
 * API keys, or ALLOW_UNAUTHENTICATED=true to accept the risk explicitly.
 */
export function assertSafeBinding(config: Pick<Config, 'HOST' | 'ALLOW_UNAUTHENTICATED'>, keys: { size: number }): void {
  if (keys.size > 0 || config.ALLOW_UNAUTHENTICATED || isLoopbackHost(config.HOST)) return;
  throw new PipelineError(
    ErrorCodes.CONFIG_INVALID,
    `refusing to listen on HOST=${config.HOST} without API keys: anyone who can reach this address could send and read traces. ` +
      'Create a key (npm run apikey -- create --name <name> --scopes ingest,query) and set API_KEYS_FILE (or API_KEYS), ' +
      'or bind to 127.0.0.1, or set ALLOW_UNAUTHENTICATED=true to accept the risk explicitly (e.g. behind an authenticating proxy).',
  );
}

/** What createHttpApp needs, from the config: loads the keys and applies the binding rule. */
export function authFromConfig(config: AuthConfig, log?: Logger): HttpAuthOptions {
  const keys = loadApiKeys(config);
  assertSafeBinding(config, keys);
  if (keys.size > 0) log?.info({ keys: keys.names, rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE }, 'API keys loaded: requests need a key');
  else if (!isLoopbackHost(config.HOST)) log?.warn({ host: config.HOST }, 'serving WITHOUT authentication on a non-loopback address (ALLOW_UNAUTHENTICATED=true)');
  return { keys, rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE };
}
