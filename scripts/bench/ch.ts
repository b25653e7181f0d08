/** SQL over a ClickHouse HTTP interface (ours or a server), as the service user. */
export interface ChTarget {
  url: string;
  user: string;
  password: string;
}

export const SERVICE_USER = 'pipeline';
export const SERVICE_PASSWORD = 'bench-service-secret';

/** Runs `sql` (POST) and returns JSONEachRow rows; throws with ClickHouse's message. */
export async function chRows<T = Record<string, unknown>>(target: ChTarget, sql: string): Promise<T[]> {
  const text = await chExec(target, `${sql} FORMAT JSONEachRow`);
  return text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l) as T) : [];
}

/** Runs `sql` (POST) and returns the body text. */
export async function chExec(target: ChTarget, sql: string): Promise<string> {
  const res = await fetch(`${target.url}/`, {
    method: 'POST',
    headers: { 'X-ClickHouse-User': target.user, 'X-ClickHouse-Key': target.password },
    body: sql,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`SQL failed (${res.status}): ${text.slice(0, 500)}\n  query: ${sql.slice(0, 300)}`);
  return text;
}

export interface RowCounts {
  traces: number;
  rollup1m: number;
  rollup1h: number;
}

export async function rowCounts(target: ChTarget): Promise<RowCounts> {
  const [r] = await chRows<{ t: string; m: string; h: string }>(
    target,
    'SELECT (SELECT count() FROM traces) AS t, (SELECT sum(requests) FROM traces_1m) AS m, (SELECT sum(requests) FROM traces_1h) AS h',
  );
  return { traces: Number(r.t), rollup1m: Number(r.m), rollup1h: Number(r.h) };
}

export const countsAre = (c: RowCounts, n: number) => c.traces === n && c.rollup1m === n && c.rollup1h === n;
