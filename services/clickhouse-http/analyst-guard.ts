/**
 * What read-only users (analysts) may not do even though the engine's `readonly = 1`
 * lets them, and how their queries are checked.
 *
 * `readonly = 1` stops writes and setting changes, and the table functions that need a
 * temporary table (`SELECT … FROM file(…)`, `url(…)`), but not (measured on chDB 26.7):
 * - the `file()` SCALAR function: `SELECT file('/proc/self/environ')` returns the file;
 * - `DESC url('http://…', 'CSVWithNames')`: schema inference fetches the URL (SSRF);
 * - `SELECT … INTO OUTFILE '…'`: chDB (clickhouse-local) writes this host's files;
 * - `* APPLY(file)`, whose function `EXPLAIN AST` does not even show;
 * - `system.processes` / `SHOW PROCESSLIST`: every session's query text.
 *
 * So an analyst's query is checked and executed in the engine's own normal form:
 * 1. The engine normalises the text: `formatQuerySingleLine('<text>')` (the text as a
 *    string literal, never as SQL). It refuses syntax errors and multi-statements with
 *    its usual errors, drops comments, turns every kind of whitespace (U+00A0, U+3000 …)
 *    into ASCII spaces and spells identifiers canonically (`fi\x6ce` → file). Its output
 *    is formatted once more: a text the formatter does not reproduce is refused, so the
 *    text executed parses to what was checked.
 * 2. Our lexer scans that normal form (where it and the engine's lexer agree): statement
 *    kind, INTO OUTFILE / FROM INFILE, the FORMAT clause, and every function called
 *    (`name(` or `APPLY name`, which also reaches functions the AST dump hides).
 * 3. `EXPLAIN AST <normal form>` (on the request's Session, so `{p:Identifier}`
 *    parameters are substituted) gives the engine's tree: every `Function` node, the
 *    table functions (allow-list), the tables read (`system.` ones that leak), INTO
 *    OUTFILE. The dump prints names raw, so a name with a line break could forge lines:
 *    such identifiers and parameter values are refused before the dump is read.
 * 4. The normal form, not the original text, is executed.
 */
import { Lexer, sqlStringLiteral, type Token } from './sql-lexer.ts';
import { analyzeQuery, isReadOnlyKind, type QueryAnalysis } from './sql-statement.ts';
import { ClickHouseHttpError } from './ch-errors.ts';

/**
 * Functions and table functions that reach files, URLs, object stores, other servers,
 * external databases or processes (matched case-insensitively, wherever they appear).
 * Table functions the engine knows and that are not in ANALYST_TABLE_FUNCTIONS are added
 * at start-up (deniedFunctionSet), so new or renamed ones are refused too.
 */
export const DENIED_FUNCTIONS: readonly string[] = [
  // files and processes of this host
  'file', 'fileCluster', 'filesystem', 'input', 'executable', 'executablePool', 'sqlite', 'python', 'arrowstream',
  'catboostEvaluate', // loads a model file by path
  'eval', // runs a query built from a string: would escape every check here
  // URLs and object stores
  'url', 'urlCluster', 's3', 's3Cluster', 'gcs', 'oss', 'cosn',
  'azureBlobStorage', 'azureBlobStorageCluster', 'hdfs', 'hdfsCluster',
  'iceberg', 'icebergS3', 'icebergAzure', 'icebergHDFS', 'icebergLocal',
  'icebergCluster', 'icebergS3Cluster', 'icebergAzureCluster', 'icebergHDFSCluster', 'icebergLocalCluster',
  'deltaLake', 'deltaLakeS3', 'deltaLakeAzure', 'deltaLakeLocal', 'deltaLakeCluster', 'deltaLakeS3Cluster', 'deltaLakeAzureCluster',
  'hudi', 'hudiCluster', 'paimon', 'paimonS3', 'paimonAzure', 'paimonHDFS', 'paimonLocal', 'paimonCluster',
  'paimonS3Cluster', 'paimonAzureCluster', 'paimonHDFSCluster', 'hive', 'ytsaurus',
  // other servers and databases
  'remote', 'remoteSecure', 'cluster', 'clusterAllReplicas', 'mysql', 'postgresql', 'mongodb', 'redis', 'jdbc', 'odbc',
  // LLM providers over the network
  'aiClassify', 'aiEmbed', 'aiExtract', 'aiGenerate', 'aiTranslate',
  // wraps another table or table function; refused by readonly anyway
  'loop',
];

/** Families matched by prefix (none of them prefixes a harmless function). */
const DENIED_PREFIXES = ['azureblobstorage', 'hdfs', 'deltalake', 'hudi', 'paimon', 'ytsaurus'];

/** The table functions analysts may use: generators and views over local tables. */
export const ANALYST_TABLE_FUNCTIONS: readonly string[] = [
  'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'primes', 'generateRandom', 'generateSeries', 'generate_series',
  'values', 'SQLStandardValues', 'format', 'null', 'view', 'viewIfPermitted', 'viewExplain', 'fuzzJSON', 'fuzzQuery',
  'merge', 'dictionary', 'mergeTreeIndex', 'mergeTreeProjection', 'mergeTreeTextIndex',
  'timeSeriesData', 'timeSeriesMetrics', 'timeSeriesTags', 'timeSeriesSamples', 'timeSeriesSelector',
  'prometheusQuery', 'prometheusQueryRange',
];

/** Allowed table functions that take a database (and so could reach `system`). */
const DATABASE_ARG_TABLE_FUNCTIONS = new Set(
  ['merge', 'mergeTreeIndex', 'mergeTreeProjection', 'mergeTreeTextIndex', 'timeSeriesData', 'timeSeriesMetrics', 'timeSeriesTags', 'timeSeriesSamples', 'timeSeriesSelector', 'prometheusQuery', 'prometheusQueryRange'].map((n) => n.toLowerCase()),
);

/**
 * `system` tables analysts may not read: other sessions' query texts (the service's and
 * other analysts', with their parameter values), server configuration and secrets, and
 * host internals. Every `*_log` table (query_log, text_log, …) too, should one be enabled.
 * The catalog tables (tables, columns, databases, functions, settings, parts, …) stay
 * readable: tools such as Grafana and DBeaver need them.
 */
export const SENSITIVE_SYSTEM_TABLES: readonly string[] = [
  'processes', 'asynchronous_inserts', 'query_cache', 'distributed_ddl_queue', 'replication_queue', 'errors',
  'named_collections', 'server_settings', 'user_directories', 'macros', 'certificates',
  'stack_trace', 'symbols', 'jemalloc_profile_text', 'fail_points', 'dns_cache',
  'schema_inference_cache', 'remote_data_paths', 'filesystem_cache', 'backups', 'kafka_consumers',
  'zookeeper', 'zookeeper_connection',
];
const SENSITIVE_SYSTEM_SET = new Set(SENSITIVE_SYSTEM_TABLES);

export function isSensitiveSystemTable(table: string): boolean {
  const t = table.toLowerCase();
  return SENSITIVE_SYSTEM_SET.has(t) || /_log(?:_\d+)?$/.test(t);
}

const lower = (names: readonly string[]) => names.map((n) => n.toLowerCase());
const ALLOWED_TABLE_FUNCTION_SET = new Set(lower(ANALYST_TABLE_FUNCTIONS));

/** Lower-case names refused anywhere in an analyst's query. */
export interface DeniedFunctions {
  has(lowerName: string): boolean;
}

/**
 * The denied names: DENIED_FUNCTIONS, every table function of this engine that is not
 * allowed (e.g. from `SELECT name FROM system.table_functions`) except scalar twins
 * analysts need (`format`), and the aliases of all of those (`system.functions.alias_to`).
 */
export function deniedFunctionSet(engineTableFunctions: readonly string[] = [], aliases: ReadonlyArray<readonly [string, string]> = []): DeniedFunctions {
  const names = new Set(lower(DENIED_FUNCTIONS));
  for (const tf of lower(engineTableFunctions)) if (!ALLOWED_TABLE_FUNCTION_SET.has(tf)) names.add(tf);
  for (const [alias, target] of aliases) if (names.has(target.toLowerCase())) names.add(alias.toLowerCase());
  return { has: (n) => names.has(n) || DENIED_PREFIXES.some((p) => n.startsWith(p)) };
}

/** The engine's normal form: `SELECT normalised, again` (again = the form formatted once more). */
export function normaliseSql(text: string): string {
  return `SELECT n AS normalised, formatQuerySingleLine(n) AS again FROM (SELECT formatQuerySingleLine(${sqlStringLiteral(text)}) AS n)`;
}

/** An engine error raised while normalising, without our wrapper query in its text. */
export function normaliseError(err: unknown): ClickHouseHttpError {
  const e = ClickHouseHttpError.fromEngine(err);
  const cut = e.body.indexOf(': In scope SELECT formatQuerySingleLine(');
  if (cut < 0) return e;
  const message = e.body.slice(0, cut).trimEnd().replace(/[.\s]+$/, '');
  return new ClickHouseHttpError(e.chCode, e.chType, `${message}. (${e.chType})`, { cause: err });
}

function denied(user: string, what: string): ClickHouseHttpError {
  return ClickHouseHttpError.of('ACCESS_DENIED', `${user}: Not enough privileges: ${what}`);
}

function deniedFunction(user: string, name: string): ClickHouseHttpError {
  return denied(user, `function ${name}() reads files, URLs, other servers or processes and is not allowed for read-only users`);
}

/** Decodes a `…` or "…" identifier token as ClickHouse does (doubled quote, backslash escapes). */
export function unquoteIdentifier(text: string): string {
  const q = text[0];
  if (q !== '`' && q !== '"') return text;
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === q && body[i + 1] === q) {
      out += q;
      i++;
    } else if (c === '\\' && i + 1 < body.length) {
      const d = body[++i]!;
      if ((d === 'x' || d === 'X') && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
        out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        out += { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0', a: '\x07', v: '\v' }[d] ?? d;
      }
    } else {
      out += c;
    }
  }
  return out;
}

function tokenName(t: Token): string | undefined {
  if (t.kind === 'word') return t.text;
  if (t.kind === 'quoted') return unquoteIdentifier(t.text);
  return undefined;
}

/** Names called in `sql`: `name(…)`, `APPLY name`, `APPLY(name)`; and whether an identifier holds a line break. */
export function scanCalls(sql: string): { calls: string[]; identifierWithLineBreak: boolean } {
  const lx = new Lexer(sql);
  const calls = new Set<string>();
  let identifierWithLineBreak = false;
  let p1: Token | null = null;
  let p2: Token | null = null;
  for (let t = lx.next(); t !== null; t = lx.next()) {
    const name = tokenName(t);
    if (t.kind === 'quoted' && name !== undefined && /[\n\r]/.test(name)) identifierWithLineBreak = true;
    if (t.kind === 'open' && t.text === '(' && p1) {
      const callee = tokenName(p1);
      if (callee !== undefined && !(p1.kind === 'word' && p1.text.toUpperCase() === 'APPLY')) calls.add(callee);
    }
    if (name !== undefined) {
      const afterApply = (p1?.kind === 'word' && p1.text.toUpperCase() === 'APPLY') || (p1?.text === '(' && p2?.kind === 'word' && p2.text.toUpperCase() === 'APPLY');
      if (afterApply) calls.add(name);
    }
    p2 = p1;
    p1 = t;
  }
  return { calls: [...calls], identifierWithLineBreak };
}

/** One line of `EXPLAIN AST`: `<indent><Type>[ <detail>]`. */
export interface AstNode {
  type: string;
  detail: string;
  depth: number;
  parent?: AstNode;
  children: AstNode[];
}

/** Parses `EXPLAIN AST` rows (one per line) into a tree; returns the root. */
export function parseAstDump(rows: readonly string[]): AstNode {
  const stack: AstNode[] = [];
  let root: AstNode | undefined;
  for (const row of rows) {
    if (row === '') continue;
    const m = /^( *)([A-Za-z][A-Za-z0-9_:]*)(?: (.*))?$/s.exec(row);
    const depth = m?.[1]!.length ?? -1;
    if (!m || (root === undefined ? depth !== 0 : depth < 1 || depth > stack.length)) {
      throw ClickHouseHttpError.of('SYNTAX_ERROR', `Cannot check the query: unexpected EXPLAIN AST line ${JSON.stringify(row.slice(0, 80))}`);
    }
    stack.length = depth;
    const node: AstNode = { type: m[2]!, detail: m[3] ?? '', depth, parent: stack[depth - 1], children: [] };
    node.parent?.children.push(node);
    root ??= node;
    stack.push(node);
  }
  if (!root) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Cannot check the query: empty EXPLAIN AST');
  return root;
}

/** The name at the start of a `Function` / `Identifier` detail (names with spaces are not real functions or tables). */
function leadingName(detail: string): string {
  return detail.split(' ', 1)[0]!;
}

function literalString(detail: string): string | undefined {
  const m = /^'((?:[^'\\]|\\.)*)'$/s.exec(detail);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
}

function* walk(node: AstNode): Generator<AstNode> {
  yield node;
  for (const c of node.children) yield* walk(c);
}

/** Query nodes whose `Literal` child is an INTO OUTFILE target (anywhere else a Literal is a value). */
function isQueryWithOutput(type: string): boolean {
  return type === 'SelectWithUnionQuery' || type === 'Explain' || type === 'DescribeQuery' || type.startsWith('Show') || type.startsWith('Exists');
}

export interface AnalystCheckContext {
  user: string;
  /** The request's current database ('default' unless `database` was given). */
  database: string;
  denied: DeniedFunctions;
}

/** Checks the tree of an analyst's normalised query. @throws ClickHouseHttpError */
export function checkAst(root: AstNode, ctx: AnalystCheckContext): void {
  const inSystem = ctx.database.toLowerCase() === 'system';
  const systemTable = (name: string): string | undefined => {
    const parts = name.split('.');
    if (parts.length === 2 && parts[0]!.toLowerCase() === 'system') return parts[1]!;
    if (parts.length === 1 && inSystem) return parts[0]!;
    return undefined;
  };
  for (const node of walk(root)) {
    if (node.type === 'ShowProcesslistQuery') throw denied(ctx.user, 'SHOW PROCESSLIST shows the queries of other sessions');
    if (node.type === 'Function') {
      const name = leadingName(node.detail).toLowerCase();
      if (ctx.denied.has(name)) throw deniedFunction(ctx.user, leadingName(node.detail));
      if (node.parent?.type === 'TableExpression') checkTableFunction(node, name, ctx, inSystem);
    } else if (node.type === 'TableIdentifier' || node.type === 'Identifier') {
      const t = systemTable(leadingName(node.detail));
      if (t !== undefined && isSensitiveSystemTable(t)) {
        throw denied(ctx.user, `system.${t} shows other sessions' queries or server internals and is not readable by read-only users`);
      }
    } else if (node.type === 'Literal' && node.parent && isQueryWithOutput(node.parent.type)) {
      throw ClickHouseHttpError.of('INTO_OUTFILE_NOT_ALLOWED', 'INTO OUTFILE is not allowed');
    }
  }
}

function checkTableFunction(node: AstNode, name: string, ctx: AnalystCheckContext, inSystem: boolean): void {
  if (!ALLOWED_TABLE_FUNCTION_SET.has(name)) {
    throw denied(ctx.user, `table function ${leadingName(node.detail)}() is not allowed for read-only users (allowed: ${ANALYST_TABLE_FUNCTIONS.join(', ')})`);
  }
  if (!DATABASE_ARG_TABLE_FUNCTIONS.has(name)) return;
  const refuse = () => denied(ctx.user, `${leadingName(node.detail)}() over the system database, or with a computed database name, is not allowed for read-only users`);
  if (inSystem) throw refuse();
  const args = node.children.find((c) => c.type === 'ExpressionList')?.children ?? [];
  args.forEach((arg, i) => {
    let value: string | undefined;
    if (arg.type === 'Literal') value = literalString(arg.detail);
    else if (arg.type === 'Identifier') value = leadingName(arg.detail);
    else if (arg.type === 'Function' && leadingName(arg.detail).toLowerCase() === 'currentdatabase') value = ctx.database;
    // the database argument comes first; a REGEXP or an expression could match `system`
    if (value === undefined) {
      if (i === 0) throw refuse();
      return;
    }
    const v = value.toLowerCase();
    if (v === 'system' || v.startsWith('system.')) throw refuse();
  });
}

/** Checks the text of an analyst's normalised query (see the module comment). @throws ClickHouseHttpError */
export function checkNormalisedText(normalised: string, ctx: AnalystCheckContext, isFormat: (name: string) => boolean): QueryAnalysis {
  const a = analyzeQuery(normalised, isFormat);
  if (a.empty) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Empty query');
  if (a.multiStatement) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Multi-statements are not allowed');
  if (a.intoOutfile) throw ClickHouseHttpError.of('INTO_OUTFILE_NOT_ALLOWED', 'INTO OUTFILE is not allowed');
  if (a.fromInfile) throw ClickHouseHttpError.of('UNKNOWN_TYPE_OF_QUERY', 'Query has infile and was send directly to server');
  if (!isReadOnlyKind(a.kind)) throw ClickHouseHttpError.of('READONLY', `${ctx.user}: Cannot execute query in readonly mode`);
  const { calls, identifierWithLineBreak } = scanCalls(normalised);
  for (const c of calls) if (ctx.denied.has(c.toLowerCase())) throw deniedFunction(ctx.user, c);
  if (identifierWithLineBreak) throw ClickHouseHttpError.of('BAD_ARGUMENTS', 'Identifiers containing line breaks are not allowed for read-only users');
  return a;
}
