/** Runs SQL on a ClickHouse HTTP interface (ours or a server) and returns the rows of JSONEachRow; throws with ClickHouse's message. */
export function clickhouseSql(url: () => string): (query: string) => Promise<any[]> {
  return async (query) => {
    const res = await fetch(`${url()}/?query=${encodeURIComponent(`${query} FORMAT JSONEachRow`)}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`SQL failed (${res.status}): ${text}`);
    return text.trim() ? text.trim().split('\n').map((l) => JSON.parse(l)) : [];
  };
}
