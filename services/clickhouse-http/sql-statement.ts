/**
 * What a ClickHouse server decides about a query text before it executes it, read off
 * the tokens of sql-lexer.ts:
 * - which statement it is (SELECT, INSERT, SET, …) for the read-only allow-list;
 * - whether the text holds more than one statement (a server refuses them; chDB would
 *   happily run them all);
 * - the output FORMAT clause (for Content-Type / X-ClickHouse-Format);
 * - for `INSERT … FORMAT x` / `INSERT … VALUES`, where the SQL ends and the data begins
 *   (so the data never reaches chDB's statement splitter: see http-interface.ts);
 * - `INTO OUTFILE` / `FROM INFILE` (client-side features that chDB, being
 *   clickhouse-local, would execute against this host's filesystem);
 * - the `{name:Type}` parameters a query references.
 *
 * It is not a parser, and a lexer of our own can always differ from the engine's in some
 * corner: so analysts' queries are checked again, and executed, in the engine's own
 * normal form (analyst-guard.ts); for them this pass only gives early, cheap refusals.
 */

import { Lexer, isAsciiSpace, type Token } from './sql-lexer.ts';

export interface InsertWithData {
  /** `INSERT INTO t (cols)` — the statement up to SETTINGS / FORMAT / VALUES. */
  head: string;
  /** The INSERT's own `SETTINGS …` clause, or ''. */
  settings: string;
  /** Input format as written after FORMAT (`Values` for `INSERT … VALUES`). */
  format: string;
  /** The inline data that followed the statement (may be empty). */
  data: string;
  /** Offsets into the analysed text: end of `head`, SETTINGS clause start (-1 if none),
   *  start of the FORMAT / VALUES keyword, start of the data. */
  headEnd: number;
  settingsStart: number;
  formatStart: number;
  dataStart: number;
}

export interface QueryAnalysis {
  /** Only whitespace and comments. */
  empty: boolean;
  /** First keyword, upper case ('' if the query does not start with a word). */
  kind: string;
  /** A second statement follows a top-level `;`. */
  multiStatement: boolean;
  intoOutfile: boolean;
  fromInfile: boolean;
  /** Mentions TEMPORARY (e.g. CREATE TEMPORARY TABLE: session-scoped state). */
  temporary: boolean;
  /** Output format named by a top-level FORMAT clause (not for INSERT … FORMAT). */
  outputFormat?: string;
  /** Names of `{name:Type}` parameters referenced. */
  paramNames: string[];
  /** Set for INSERT statements whose data is inline (FORMAT x / VALUES). */
  insert?: InsertWithData;
}

const READ_ONLY_KINDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS']);

/** Statement kinds a read-only user may run. */
export function isReadOnlyKind(kind: string): boolean {
  return READ_ONLY_KINDS.has(kind);
}

const STATEMENT_KEYWORDS = new Set([
  ...READ_ONLY_KINDS,
  'INSERT', 'CREATE', 'ATTACH', 'DETACH', 'REPLACE', 'ALTER', 'DROP', 'UNDROP', 'TRUNCATE', 'RENAME', 'EXCHANGE',
  'OPTIMIZE', 'SET', 'USE', 'SYSTEM', 'KILL', 'GRANT', 'REVOKE', 'DELETE', 'UPDATE', 'BACKUP', 'RESTORE', 'CHECK',
  'MOVE', 'BEGIN', 'START', 'COMMIT', 'ROLLBACK', 'WATCH', 'COPY', 'EXECUTE', 'SNAPSHOT',
]);

/** First words of ClickHouse statements (anything else is not a statement at all). */
export function isStatementKeyword(kind: string): boolean {
  return STATEMENT_KEYWORDS.has(kind);
}

function unquoteName(t: Token): string {
  if (t.kind === 'quoted') return t.text.slice(1, -1);
  return t.text;
}

/** Where inline INSERT data starts after the format name, as ClickHouse's parser does it:
 *  after the first newline if the whitespace that follows holds one, else after all of it. */
function dataStart(sql: string, from: number): number {
  let i = from;
  while (i < sql.length && isAsciiSpace(sql[i]!)) {
    if (sql[i] === '\n') return i + 1;
    i++;
  }
  return i;
}

/**
 * Analyses one HTTP query text. `isFormat` tells output-format names from other words
 * (`SELECT format FROM t` must not be read as FORMAT FROM); without it any word counts.
 * @throws SqlLexError on an unterminated string, identifier or comment.
 */
export function analyzeQuery(sql: string, isFormat: (name: string) => boolean = () => true): QueryAnalysis {
  const lx = new Lexer(sql);
  const out: QueryAnalysis = {
    empty: true,
    kind: '',
    multiStatement: false,
    intoOutfile: false,
    fromInfile: false,
    temporary: false,
    paramNames: [],
  };
  const params = new Set<string>();
  const toks: Token[] = [];
  let afterSemicolon = false;
  // INSERT bookkeeping
  let insertState: 'none' | 'head' | 'select' = 'none';
  let targetSkipped = false;
  let settingsAt = -1;

  for (;;) {
    const t = lx.next();
    if (t === null) break;
    out.empty = false;
    if (afterSemicolon) {
      if (t.kind !== 'semicolon') {
        out.multiStatement = true;
        break;
      }
      continue;
    }
    if (t.kind === 'semicolon' && t.depth === 0) {
      afterSemicolon = true;
      continue;
    }
    toks.push(t);
    const prev = toks[toks.length - 2];
    const prev2 = toks[toks.length - 3];
    const upper = t.kind === 'word' ? t.text.toUpperCase() : '';

    if (out.kind === '' && t.kind === 'word') {
      if (toks.every((x) => x === t || x.kind === 'open')) {
        out.kind = upper;
        if (upper === 'INSERT') insertState = 'head';
      }
    }
    if (upper === 'TEMPORARY') out.temporary = true;
    if (prev?.kind === 'word') {
      const p = prev.text.toUpperCase();
      if (p === 'INTO' && upper === 'OUTFILE') out.intoOutfile = true;
      if (p === 'FROM' && upper === 'INFILE') out.fromInfile = true;
    }
    // {name:Type}
    if (t.kind === 'punct' && t.text === ':' && prev && (prev.kind === 'word' || prev.kind === 'quoted') && prev2?.kind === 'open' && prev2.text === '{') {
      params.add(unquoteName(prev));
    }

    if (insertState === 'head' && t.depth === 0 && (t.kind === 'word' || t.kind === 'quoted') && toks.length > 1) {
      // Skip the target (`INSERT INTO [TABLE|FUNCTION] db.t`), whose name may be any word.
      if (!targetSkipped) {
        if (!(t.kind === 'word' && ['INTO', 'TABLE', 'FUNCTION'].includes(upper))) targetSkipped = true;
        continue;
      }
      if (prev && prev.kind === 'punct' && prev.text === '.') continue; // db.<name>
      if (t.kind !== 'word') continue;
      if (upper === 'SETTINGS' && settingsAt < 0) {
        settingsAt = t.start;
        continue;
      }
      if (upper === 'SELECT' || upper === 'WITH') {
        insertState = 'select';
        continue;
      }
      if (upper === 'VALUES' || upper === 'FORMAT') {
        let format = 'Values';
        let dataFrom = t.end;
        if (upper === 'FORMAT') {
          const name = lx.next();
          if (name === null || (name.kind !== 'word' && name.kind !== 'quoted')) break; // the engine reports the syntax error
          format = name.text;
          dataFrom = dataStart(sql, name.end);
        }
        const headEnd = settingsAt >= 0 ? settingsAt : t.start;
        out.insert = {
          head: sql.slice(0, headEnd).trimEnd(),
          settings: settingsAt >= 0 ? sql.slice(settingsAt, t.start).trim() : '',
          format,
          data: sql.slice(dataFrom),
          headEnd,
          settingsStart: settingsAt,
          formatStart: t.start,
          dataStart: dataFrom,
        };
        break; // the rest is data, not SQL
      }
      continue;
    }

    // FORMAT <name> at top level (output format of a query; INSERT … FORMAT handled above)
    if (t.depth === 0 && (t.kind === 'word' || t.kind === 'quoted') && prev?.kind === 'word' && prev.depth === 0 && prev.text.toUpperCase() === 'FORMAT' && out.kind !== 'INSERT') {
      const name = unquoteName(t);
      if (isFormat(name)) out.outputFormat = name;
    }
  }
  out.paramNames = [...params];
  return out;
}
