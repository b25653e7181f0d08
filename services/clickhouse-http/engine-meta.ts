/**
 * What the HTTP interface asks the engine once, when it starts (on its anchor Session):
 * version, timezone and output formats for the headers and the query analysis, and the
 * engine's table functions and function aliases for the analyst guard.
 */
import type { Session } from 'chdb';
import { deniedFunctionSet, type DeniedFunctions } from './analyst-guard.ts';

export interface EngineMeta {
  version: string;
  timezone: string;
  outputFormats: Map<string, string>;
}

/** Before the engine has answered. */
export function unknownEngineMeta(): EngineMeta {
  return { version: 'unknown', timezone: 'UTC', outputFormats: new Map() };
}

export async function loadEngineMeta(anchor: Session): Promise<EngineMeta> {
  const info = (await anchor.queryAsync('SELECT version() AS v, timezone() AS tz', { format: 'JSONEachRow' })).json<{ v: string; tz: string }>();
  const formats = (await anchor.queryAsync('SELECT name FROM system.formats WHERE is_output', { format: 'JSONEachRow' })).text();
  const outputFormats = new Map<string, string>();
  for (const line of formats.split('\n')) {
    if (!line) continue;
    const name = (JSON.parse(line) as { name: string }).name;
    outputFormats.set(name.toLowerCase(), name);
  }
  return { version: info.v, timezone: info.tz, outputFormats };
}

/** Every table function this engine has that analysts may not use, and aliases. */
export async function loadDeniedFunctions(anchor: Session): Promise<DeniedFunctions> {
  const tableFunctions = (await anchor.queryAsync('SELECT name FROM system.table_functions', { format: 'JSONEachRow' })).text();
  const aliases = (await anchor.queryAsync("SELECT name, alias_to FROM system.functions WHERE alias_to != ''", { format: 'JSONEachRow' })).text();
  const rows = <T>(text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
  return deniedFunctionSet(
    rows<{ name: string }>(tableFunctions).map((r) => r.name),
    rows<{ name: string; alias_to: string }>(aliases).map((r) => [r.name, r.alias_to] as const),
  );
}
