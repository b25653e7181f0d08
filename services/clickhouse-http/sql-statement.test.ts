import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SqlLexError } from './sql-lexer.ts';
import { analyzeQuery, isReadOnlyKind, isStatementKeyword } from './sql-statement.ts';

const FORMATS = new Set(['json', 'jsoneachrow', 'csv', 'tabseparated', 'tsv']);
const isFormat = (n: string) => FORMATS.has(n.toLowerCase());

describe('analyzeQuery', () => {
  test('statement kind, skipping comments and parentheses', () => {
    assert.equal(analyzeQuery('  -- hi\n/* a /* nested */ b */ select 1').kind, 'SELECT');
    assert.equal(analyzeQuery('((SELECT 1)) UNION ALL SELECT 2').kind, 'SELECT');
    assert.equal(analyzeQuery('# mysql comment\nWITH x AS (SELECT 1) SELECT * FROM x').kind, 'WITH');
    assert.equal(analyzeQuery('insert into t values (1)').kind, 'INSERT');
    assert.equal(analyzeQuery('1 + 1').kind, '');
    assert.equal(analyzeQuery(' -- only a comment ').empty, true);
    assert.ok(isReadOnlyKind('DESC') && !isReadOnlyKind('INSERT') && isStatementKeyword('TRUNCATE') && !isStatementKeyword('SELEC'));
  });

  test('multi-statements: a top-level ; followed by anything', () => {
    assert.equal(analyzeQuery('SELECT 1;').multiStatement, false);
    assert.equal(analyzeQuery('SELECT 1 ;; -- done').multiStatement, false);
    assert.equal(analyzeQuery('SELECT 1; DROP TABLE t').multiStatement, true);
    assert.equal(analyzeQuery("SELECT ';' AS a, \"x;y\", `z;` -- ;\n").multiStatement, false);
    assert.equal(analyzeQuery('SELECT $$a;b$$, $tag$ ; $tag$').multiStatement, false);
    assert.equal(analyzeQuery("SELECT 'it\\'s; fine', 'it''s; fine'").multiStatement, false);
    assert.equal(analyzeQuery('SELECT 1 /* ; */; SELECT 2').multiStatement, true);
  });

  test('FORMAT clause: top level, a known format, last one wins', () => {
    assert.equal(analyzeQuery('SELECT 1 FORMAT JSON', isFormat).outputFormat, 'JSON');
    assert.equal(analyzeQuery('SELECT 1 \nFORMAT JSONEachRow', isFormat).outputFormat, 'JSONEachRow');
    assert.equal(analyzeQuery('SELECT format FROM t', isFormat).outputFormat, undefined);
    assert.equal(analyzeQuery("SELECT format('{}', 'x') FORMAT CSV", isFormat).outputFormat, 'CSV');
    assert.equal(analyzeQuery("SELECT 'FORMAT JSON' AS s", isFormat).outputFormat, undefined);
    assert.equal(analyzeQuery('SELECT 1 FORMAT JSON SETTINGS max_threads = 1', isFormat).outputFormat, 'JSON');
  });

  test('INTO OUTFILE, FROM INFILE, TEMPORARY, parameters', () => {
    assert.equal(analyzeQuery("SELECT 1 INTO OUTFILE '/tmp/x'").intoOutfile, true);
    assert.equal(analyzeQuery("SELECT 'INTO OUTFILE'").intoOutfile, false);
    assert.equal(analyzeQuery("INSERT INTO t FROM INFILE '/etc/passwd' FORMAT CSV").fromInfile, true);
    assert.equal(analyzeQuery('CREATE TEMPORARY TABLE x (a UInt8)').temporary, true);
    assert.deepEqual(analyzeQuery("SELECT {a:String}, { b : UInt8 }, {`c`:Date}, '{d:String}', {'k': 1}").paramNames.sort(), ['a', 'b', 'c']);
  });

  test("Unicode spaces separate tokens as in ClickHouse's lexer (UTF-8 read as latin1, and JS strings)", () => {
    const latin1 = (q: string) => Buffer.from(q, 'utf8').toString('latin1');
    for (const sp of ['\u00a0', '\u0085', '\u180e', '\u2000', '\u2003', '\u200b', '\u200d', '\u2028', '\u2029', '\u202f', '\u205f', '\u2060', '\u3000', '\ufeff']) {
      const q = `SELECT 'x' INTO${sp}OUTFILE '/tmp/x' TRUNCATE`;
      assert.equal(analyzeQuery(latin1(q)).intoOutfile, true, `latin1 U+${sp.codePointAt(0)!.toString(16)}`);
      assert.equal(analyzeQuery(q).intoOutfile, true, `string U+${sp.codePointAt(0)!.toString(16)}`);
      assert.equal(analyzeQuery(latin1(`SELECT 1;${sp}SELECT 2`)).multiStatement, true);
      assert.equal(analyzeQuery(latin1(`${sp}SELECT${sp}1`)).kind, 'SELECT');
      assert.equal(analyzeQuery(latin1(`SELECT 1${sp}FORMAT${sp}JSON`), isFormat).outputFormat, 'JSON');
    }
    // other non-ASCII text is untouched, inside and outside literals
    assert.equal(analyzeQuery(latin1("SELECT 'INTO\u00a0OUTFILE', `é`")).intoOutfile, false);
    assert.equal(analyzeQuery(latin1('SELECT 1 AS été')).kind, 'SELECT');
  });

  test('INSERT … FORMAT: where the statement ends and the data begins', () => {
    const q = 'INSERT INTO db.t (a, format) SETTINGS async_insert = 0 FORMAT JSONEachRow\n{"a":1}\n\nDROP TABLE t';
    const a = analyzeQuery(q);
    assert.equal(a.kind, 'INSERT');
    assert.equal(a.multiStatement, false);
    assert.ok(a.insert);
    assert.equal(a.insert.head, 'INSERT INTO db.t (a, format)');
    assert.equal(a.insert.settings, 'SETTINGS async_insert = 0');
    assert.equal(a.insert.format, 'JSONEachRow');
    assert.equal(a.insert.data, '{"a":1}\n\nDROP TABLE t');
    assert.equal(q.slice(a.insert.dataStart), a.insert.data);
    // data on the same line; no data; a table named like a keyword
    assert.equal(analyzeQuery('INSERT INTO t FORMAT CSV 1,2').insert?.data, '1,2');
    assert.equal(analyzeQuery('INSERT INTO t FORMAT TSV').insert?.data, '');
    assert.equal(analyzeQuery('INSERT INTO t FORMAT TSV\n').insert?.data, '');
    assert.equal(analyzeQuery('INSERT INTO t FORMAT TSV  \n\nx').insert?.data, '\nx');
    assert.equal(analyzeQuery('INSERT INTO format FORMAT TSV\n1').insert?.head, 'INSERT INTO format');
    assert.equal(analyzeQuery('INSERT INTO TABLE `values` VALUES (1)').insert?.head, 'INSERT INTO TABLE `values`');
    assert.equal(analyzeQuery('INSERT INTO "t" FORMAT TSV\n1').insert?.head, 'INSERT INTO "t"');
    assert.equal(analyzeQuery("INSERT INTO FUNCTION file('x.csv') FORMAT CSV\n1").insert?.head, "INSERT INTO FUNCTION file('x.csv')");
  });

  test('INSERT … VALUES: the values are data (a ; in them is not a second statement)', () => {
    const a = analyzeQuery("INSERT INTO t VALUES (1, 'a;b'); DROP TABLE t");
    assert.equal(a.multiStatement, false);
    assert.equal(a.insert?.format, 'Values');
    assert.equal(a.insert?.data, " (1, 'a;b'); DROP TABLE t");
  });

  test('INSERT … SELECT is a statement, not data', () => {
    const a = analyzeQuery('INSERT INTO t SELECT * FROM s FORMAT JSON');
    assert.equal(a.insert, undefined);
    assert.equal(analyzeQuery('INSERT INTO t SELECT 1; DROP TABLE t').multiStatement, true);
  });

  test('unterminated literals and comments are lexer errors', () => {
    for (const q of ["SELECT 'abc", 'SELECT "abc', 'SELECT `abc', 'SELECT /* x', 'SELECT $x$ y']) {
      assert.throws(() => analyzeQuery(q), SqlLexError, q);
    }
  });
});
