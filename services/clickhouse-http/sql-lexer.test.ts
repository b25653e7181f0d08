import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sqlStringLiteral } from './sql-lexer.ts';

test('sqlStringLiteral escapes backslashes, quotes and NUL', () => {
  assert.equal(sqlStringLiteral("a'b\\c\0d\n"), "'a\\'b\\\\c\\0d\n'");
});
