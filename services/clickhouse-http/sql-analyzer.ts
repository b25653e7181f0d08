/**
 * A small ClickHouse SQL lexer, just enough for the HTTP interface to do what a
 * ClickHouse server decides before it executes a query:
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
 * It tokenises like ClickHouse's Lexer for everything that can hide a `;` or a keyword:
 * '…' strings (backslash escapes and ''), "…" and `…` identifiers, $tag$…$tag$ heredocs,
 * -- / `# ` / `#!` line comments, nested block comments, and the Unicode spaces the
 * engine skips like ASCII ones (`INTO<U+00A0>OUTFILE` is INTO OUTFILE). It is not a
 * parser, and a lexer of our own can always differ from the engine's in some corner:
 * so analysts' queries are checked again, and executed, in the engine's own normal form
 * (analyst-guard.ts); for them this pass only gives early, cheap refusals.
 */

export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'open' | 'close' | 'semicolon' | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  /** Bracket depth ((, [, {) at which the token starts; 0 = top level. */
  depth: number;
}

export class SqlLexError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = 'SqlLexError';
    this.position = position;
  }
}

const WS = new Set([' ', '\t', '\n', '\r', '\f', '\v']);

/** Non-ASCII code points ClickHouse's lexer skips as whitespace (skipWhitespacesUTF8):
 *  U+0085 U+00A0 U+180E U+2000–U+200D U+2028 U+2029 U+202F U+205F U+2060 U+3000 U+FEFF. */
const UNICODE_SPACES = new Set([0x85, 0xa0, 0x180e, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff]);
for (let c = 0x2000; c <= 0x200d; c++) UNICODE_SPACES.add(c);

/**
 * Length of the Unicode whitespace at `i`, 0 if none. Works on both kinds of text the
 * analyser sees: UTF-8 bytes decoded as latin1 (one char per byte: C2 A0, E3 80 80, …)
 * and ordinary JS strings (U+00A0, U+3000, …).
 */
export function unicodeSpaceLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 0;
  const d = s.charCodeAt(i + 1);
  const e = s.charCodeAt(i + 2);
  if (c === 0xc2 && (d === 0x85 || d === 0xa0)) return 2;
  if (c === 0xe1 && d === 0xa0 && e === 0x8e) return 3;
  if (c === 0xe2 && d === 0x80 && ((e >= 0x80 && e <= 0x8d) || e === 0xa8 || e === 0xa9 || e === 0xaf)) return 3;
  if (c === 0xe2 && d === 0x81 && (e === 0x9f || e === 0xa0)) return 3;
  if (c === 0xe3 && d === 0x80 && e === 0x80) return 3;
  if (c === 0xef && d === 0xbb && e === 0xbf) return 3;
  return UNICODE_SPACES.has(c) ? 1 : 0;
}

function isWordStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c.charCodeAt(0) >= 0x80;
}

function isWordChar(c: string): boolean {
  return isWordStart(c) || (c >= '0' && c <= '9') || c === '$';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Lazily tokenises `sql`; callers may stop early (e.g. where INSERT data begins). */
export class Lexer {
  private pos = 0;
  private depth = 0;
  constructor(private readonly sql: string) {}

  get position(): number {
    return this.pos;
  }

  /** Skips whitespace and comments; returns the next token, or null at the end. */
  next(): Token | null {
    const s = this.sql;
    const n = s.length;
    for (;;) {
      if (this.pos >= n) return null;
      const c = s[this.pos]!;
      if (WS.has(c)) {
        this.pos++;
        continue;
      }
      const u = unicodeSpaceLength(s, this.pos);
      if (u > 0) {
        this.pos += u;
        continue;
      }
      if (c === '-' && s[this.pos + 1] === '-') {
        this.skipLine();
        continue;
      }
      if (c === '#' && (s[this.pos + 1] === ' ' || s[this.pos + 1] === '!')) {
        this.skipLine();
        continue;
      }
      if (c === '/' && s[this.pos + 1] === '*') {
        this.skipBlockComment();
        continue;
      }
      break;
    }
    const start = this.pos;
    const c = s[start]!;
    if (c === "'") return this.quotedToken('string', "'");
    if (c === '"' || c === '`') return this.quotedToken('quoted', c);
    if (c === '$') {
      const m = /^\$([A-Za-z0-9_]*)\$/.exec(s.slice(start, start + 256));
      if (m) {
        const tag = m[0];
        const close = s.indexOf(tag, start + tag.length);
        if (close < 0) throw new SqlLexError('Unterminated heredoc', start);
        this.pos = close + tag.length;
        return this.token('string', start);
      }
    }
    if (isDigit(c) || (c === '.' && isDigit(s[start + 1]))) {
      this.pos++;
      while (this.pos < n) {
        const d = s[this.pos]!;
        if ((isWordChar(d) || d === '.') && unicodeSpaceLength(s, this.pos) === 0) {
          this.pos++;
          continue;
        }
        const prev = s[this.pos - 1]!.toLowerCase();
        if ((d === '+' || d === '-') && (prev === 'e' || prev === 'p') && !/^0x/i.test(s.slice(start, start + 2))) {
          this.pos++;
          continue;
        }
        break;
      }
      return this.token('number', start);
    }
    if (isWordStart(c)) {
      this.pos++;
      while (this.pos < n && isWordChar(s[this.pos]!) && unicodeSpaceLength(s, this.pos) === 0) this.pos++;
      return this.token('word', start);
    }
    this.pos++;
    if (c === '(' || c === '[' || c === '{') {
      const t = this.token('open', start);
      this.depth++;
      return t;
    }
    if (c === ')' || c === ']' || c === '}') {
      this.depth = Math.max(0, this.depth - 1);
      return this.token('close', start);
    }
    if (c === ';') return this.token('semicolon', start);
    return this.token('punct', start);
  }

  private token(kind: TokenKind, start: number): Token {
    return { kind, text: this.sql.slice(start, this.pos), start, end: this.pos, depth: this.depth };
  }

  private skipLine(): void {
    const nl = this.sql.indexOf('\n', this.pos);
    this.pos = nl < 0 ? this.sql.length : nl + 1;
  }

  private skipBlockComment(): void {
    const s = this.sql;
    const start = this.pos;
    let level = 0;
    while (this.pos < s.length) {
      if (s[this.pos] === '/' && s[this.pos + 1] === '*') {
        level++;
        this.pos += 2;
      } else if (s[this.pos] === '*' && s[this.pos + 1] === '/') {
        level--;
        this.pos += 2;
        if (level === 0) return;
      } else {
        this.pos++;
      }
    }
    throw new SqlLexError('Multiline comment is not closed', start);
  }

  private quotedToken(kind: TokenKind, quote: string): Token {
    const s = this.sql;
    const start = this.pos;
    this.pos++;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === '\\') {
        this.pos += 2;
        continue;
      }
      if (c === quote) {
        if (s[this.pos + 1] === quote) {
          this.pos += 2;
          continue;
        }
        this.pos++;
        return this.token(kind, start);
      }
      this.pos++;
    }
    throw new SqlLexError(kind === 'string' ? 'Single quoted string is not closed' : 'Quoted identifier is not closed', start);
  }
}

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
  while (i < sql.length && WS.has(sql[i]!)) {
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

/** Escapes a value as the content of a single-quoted ClickHouse string literal. */
export function sqlStringLiteral(value: string): string {
  let out = "'";
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\0') out += '\\0';
    else out += ch;
  }
  return out + "'";
}

/** A setting, database or parameter name that can be written into SQL as is. */
export function isPlainIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
