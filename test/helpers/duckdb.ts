/**
 * Test helpers for the reference-value tests: an in-memory DuckDB per suite, and tables built from
 * plain arrays (the scipy/scikit-learn fixtures' inputs), appended value by value so doubles arrive
 * bit-exact (a CSV or JSON round trip could change the last digit).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';
import { quoteIdentifier } from '../../daemon/analysis/sql';

export type ColumnType = 'DOUBLE' | 'INTEGER' | 'VARCHAR' | 'BOOLEAN';
export type Cell = number | string | boolean | null | undefined;

/** An in-memory database opened before the suite's tests and closed after them. */
export function memoryDuckDB(onClose?: () => void): { readonly conn: DuckDBConnection } {
  let db: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  afterAll(() => {
    conn?.closeSync();
    db?.closeSync();
    onClose?.();
  });
  return {
    get conn(): DuckDBConnection {
      if (!conn) throw new Error('memoryDuckDB: the connection is opened in beforeAll; use it inside a test');
      return conn;
    },
  };
}

/** `CREATE OR REPLACE TABLE name (columns)` filled with `rows` (null/undefined → NULL). */
export async function createTable(conn: DuckDBConnection, name: string, columns: ReadonlyArray<readonly [string, ColumnType]>, rows: ReadonlyArray<readonly Cell[]>): Promise<void> {
  await conn.run(`CREATE OR REPLACE TABLE ${quoteIdentifier(name)} (${columns.map(([c, t]) => `${quoteIdentifier(c)} ${t}`).join(', ')})`);
  const appender = await conn.createAppender(name);
  for (const row of rows) {
    columns.forEach(([, type], i) => {
      const v = row[i];
      if (v === null || v === undefined) appender.appendNull();
      else if (type === 'DOUBLE') appender.appendDouble(Number(v));
      else if (type === 'INTEGER') appender.appendInteger(Number(v));
      else if (type === 'BOOLEAN') appender.appendBoolean(Boolean(v));
      else appender.appendVarchar(String(v));
    });
    appender.endRow();
  }
  appender.closeSync();
}

/** Row i of column-oriented data: `columns` arrays of equal length. */
export function rowsOf(columns: ReadonlyArray<readonly Cell[]>): Cell[][] {
  const n = columns[0]?.length ?? 0;
  return Array.from({ length: n }, (_, i) => columns.map((c) => c[i]));
}
