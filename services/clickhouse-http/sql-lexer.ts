/**
 * A small ClickHouse SQL lexer: tokens, quoting and comments, tokenised like ClickHouse's
 * Lexer for everything that can hide a `;` or a keyword: '…' strings (backslash escapes
 * and ''), "…" and `…` identifiers, $tag$…$tag$ heredocs, -- / `# ` / `#!` line comments,
 * nested block comments, and the Unicode spaces the engine skips like ASCII ones
 * (`INTO<U+00A0>OUTFILE` is INTO OUTFILE). Also the other direction: writing a value as
 * a string literal, and telling a name that can be written into SQL as is.
 *
 * What the tokens say about a statement (its kind, FORMAT, INSERT data, …) is
 * sql-statement.ts's business.
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

/** ASCII whitespace as ClickHouse's lexer skips it. */
export function isAsciiSpace(c: string): boolean {
  return WS.has(c);
}

/**
 * Length of the Unicode whitespace at `i`, 0 if none. Works on both kinds of text the
 * lexer sees: UTF-8 bytes decoded as latin1 (one char per byte: C2 A0, E3 80 80, …)
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
