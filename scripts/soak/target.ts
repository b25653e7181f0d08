/**
 * What the soak runs against: the all-in-one (`npm start`) or the distributed services.
 * Either way the soak sends to `apiUrl`, counts through `sql`, samples `processes()` and
 * hits one of `victims` at each fault.
 */
export interface SoakProcess {
  name: string;
  pid: number;
  /** /healthz of the process, for its event-loop delay; null where it has none. */
  healthUrl: string | null;
}

export interface SoakTarget {
  mode: 'embedded' | 'distributed';
  apiUrl: string;
  sql: (query: string) => Promise<any[]>;
  /** The processes running now (one that is down is left out). */
  processes(): SoakProcess[];
  /** What a fault may hit: a service (SIGKILL, then started again at once) or 'broker' (down, then up). */
  victims: readonly string[];
  /** Hits `victim`; resolves once it serves again, with what was done. */
  fault(victim: string, rnd: () => number): Promise<string>;
  shutdown(): Promise<void>;
}
