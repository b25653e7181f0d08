import type { Logger } from './logger.ts';

/**
 * The environment an entry hands a service for names chosen in its files (the eval rules'
 * `api_key_env`, alert receivers' `url_env`): never logged. Only the two entries read
 * `process.env`; services get it from them.
 */
export type ServiceEnv = Readonly<Record<string, string | undefined>>;

/** What a started service hands back: whether it is ready, and how to stop it. */
export interface RunningService {
  ready(): boolean;
  /** Stop accepting work, finish in-flight work, flush, commit, close; in that order. */
  stop(): Promise<void>;
}

/**
 * On SIGTERM/SIGINT: stop in order under a deadline, then exit. A second signal or the
 * deadline exits at once (non-zero) rather than hang.
 */
export function stopOnSignals(service: RunningService, options: { log: Logger; timeoutMs: number; exit?: (code: number) => void }): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.log.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    options.log.info({ signal, timeoutMs: options.timeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      options.log.error({ timeoutMs: options.timeoutMs }, 'shutdown deadline passed: exiting');
      exit(1);
    }, options.timeoutMs);
    deadline.unref();
    service.stop().then(
      () => {
        clearTimeout(deadline);
        options.log.info('stopped cleanly');
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        options.log.error({ err }, 'error while stopping');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * After turning not-ready, keep serving for `ms` so load balancers notice before the
 * listener closes (SHUTDOWN_DRAIN_MS; 0 = close at once).
 */
export async function drainPeriod(ms: number): Promise<void> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}
