import { allInOne } from '../../test/faults/support/all-in-one.ts';
import type { SoakTarget } from './target.ts';

/** `npm start` as a real process on a DATA_DIR that survives its SIGKILLs. */
export async function embeddedTarget(): Promise<SoakTarget & { readyMs: number }> {
  const a = await allInOne('soak');
  const { readyMs } = await a.start();
  return {
    mode: 'embedded',
    readyMs,
    apiUrl: a.apiUrl,
    sql: a.sql,
    victims: ['all-in-one'],
    processes() {
      const p = a.process;
      return p && p.child.exitCode === null && p.child.signalCode === null ? [{ name: 'all-in-one', pid: p.child.pid!, healthUrl: `${a.apiUrl}/healthz` }] : [];
    },
    async fault() {
      const p = a.process!;
      const t0 = Date.now();
      p.child.kill('SIGKILL');
      await p.exited;
      await a.start(); // at once: the lock must not outlive the killed process (a zombie may still hold its pid)
      return `SIGKILL all-in-one, ready again in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    },
    shutdown: () => a.shutdown(),
  };
}
