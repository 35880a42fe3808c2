import { describe, expect, test } from 'vitest';
import { doubleLiteral, queryRelation, quoteIdentifier, quoteLiteral, tableRelation } from '../../../daemon/analysis/sql.js';
import { kindOfSqlType } from '../../../daemon/analysis/feature-kind.js';
import { featureValueSql } from '../../../daemon/analysis/feature-values.js';

describe('quoting', () => {
  test('identifiers are double-quoted with embedded quotes doubled', () => {
    expect(quoteIdentifier('amount')).toBe('"amount"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(quoteIdentifier('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
    expect(() => quoteIdentifier('a\0b')).toThrow();
  });

  test('string literals are single-quoted with embedded quotes doubled', () => {
    expect(quoteLiteral("O'Reilly")).toBe("'O''Reilly'");
    expect(quoteLiteral('back\\slash')).toBe("'back\\slash'");
  });

  test('relations', () => {
    expect(tableRelation('main', 'pre"dictions')).toBe('"main"."pre""dictions"');
    expect(() => tableRelation()).toThrow();
    expect(queryRelation('SELECT 1')).toBe('(SELECT 1)');
  });

  test('double literals round-trip exactly', () => {
    expect(doubleLiteral(0.1)).toBe("'0.1'::DOUBLE");
    expect(doubleLiteral(-1e-300)).toBe("'-1e-300'::DOUBLE");
    expect(doubleLiteral(Infinity)).toBe("'inf'::DOUBLE");
  });

  test('feature values quote the column', () => {
    expect(featureValueSql('a"b', 'categorical')).toBe('CAST("a""b" AS VARCHAR)');
    expect(featureValueSql('x', 'numeric')).toContain('TRY_CAST("x" AS DOUBLE)');
  });
});

describe('kindOfSqlType', () => {
  test.each([
    ['INTEGER', 'numeric'],
    ['BIGINT', 'numeric'],
    ['HUGEINT', 'numeric'],
    ['UTINYINT', 'numeric'],
    ['DOUBLE', 'numeric'],
    ['FLOAT', 'numeric'],
    ['DECIMAL(10,3)', 'numeric'],
    ['VARCHAR', 'categorical'],
    ['BOOLEAN', 'categorical'],
    ["ENUM('a', 'b')", 'categorical'],
    ['DATE', undefined],
    ['TIMESTAMP', undefined],
    ['INTEGER[]', undefined],
    ['STRUCT(a INTEGER)', undefined],
  ])('%s → %s', (type, kind) => {
    expect(kindOfSqlType(type)).toBe(kind);
  });
});
