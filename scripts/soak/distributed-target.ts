import { freePort, type ServiceProcess } from '../../test/helpers/service-process.ts';
import { startDistributed } from '../../test/faults/support/distributed.ts';
import type { SoakProcess, SoakTarget } from './target.ts';

const CONSUMERS = ['enricher', 'writer'] as const;

/**
 * The distributed deployment: librdkafka's mock cluster, the `clickhouse` service
 * (embedded engine over HTTP) and ingest, enricher and writer as separate processes, each
 * restarted on the same ports and data after its SIGKILL. The broker cannot be SIGKILLed
 * (the mock keeps its log in memory, a real broker keeps it on disk): it is taken down
 * for 10–20 s instead, then brought back, which is what the clients and consumers see.
 */
export async function distributedTarget(): Promise<SoakTarget & { readyMs: number }> {
  const t0 = Date.now();
  // A short group session: a SIGKILLed consumer's partitions move after 6 s, not 30.
  // Six partitions: the mock broker keeps only a few MB per partition in memory, and a
  // consumer down for ~15 s leaves that much behind it at the default rate.
  const d = await startDistributed({ name: 'soak', partitions: 6, sessionTimeoutMs: 6000 });
  const healthPorts: Record<string, number> = {};
  for (const name of CONSUMERS) healthPorts[name] = await freePort();
  const running = new Map<string, ServiceProcess>();
  const startService = async (name: string) => {
    const p = d.start(name, healthPorts[name] ? { HEALTH_PORT: String(healthPorts[name]) } : {});
    running.set(name, p);
    await p.waitForLog(/service ready/, 180_000);
  };
  await startService('ingest');
  for (const name of CONSUMERS) await startService(name);
  const alive = (p: ServiceProcess | undefined) => p !== undefined && p.child.exitCode === null && p.child.signalCode === null;
  let brokerDown = false;

  return {
    mode: 'distributed',
    readyMs: Date.now() - t0,
    apiUrl: d.ingestUrl,
    sql: d.sql,
    victims: ['ingest', ...CONSUMERS, 'clickhouse', 'broker'],
    processes() {
      const out: SoakProcess[] = [];
      const ingest = running.get('ingest');
      if (alive(ingest)) out.push({ name: 'ingest', pid: ingest!.child.pid!, healthUrl: `${d.ingestUrl}/healthz` });
      for (const name of CONSUMERS) {
        const p = running.get(name);
        if (alive(p)) out.push({ name, pid: p!.child.pid!, healthUrl: `http://127.0.0.1:${healthPorts[name]}/healthz` });
      }
      if (alive(d.clickhouse)) out.push({ name: 'clickhouse', pid: d.clickhouse.child.pid!, healthUrl: null });
      return out;
    },
    async fault(victim, rnd) {
      const t = Date.now();
      const since = () => `${((Date.now() - t) / 1000).toFixed(1)} s`;
      if (victim === 'broker') {
        const downMs = 10_000 + Math.floor(rnd() * 10_000);
        brokerDown = true;
        await d.kafka.brokerDown(1);
        await new Promise((r) => setTimeout(r, downMs));
        await d.kafka.brokerUp(1);
        brokerDown = false;
        return `broker down ${(downMs / 1000).toFixed(1)} s, then up`;
      }
      if (victim === 'clickhouse') {
        await d.clickhouse.stop('SIGKILL');
        await d.startClickHouse();
        return `SIGKILL clickhouse, listening again in ${since()}`;
      }
      await running.get(victim)!.stop('SIGKILL');
      await startService(victim);
      return `SIGKILL ${victim}, ready again in ${since()}`;
    },
    async shutdown() {
      if (brokerDown) await d.kafka.brokerUp(1).catch(() => {});
      for (const p of running.values()) await p.stop('SIGKILL');
      await d.shutdown();
    },
  };
}
