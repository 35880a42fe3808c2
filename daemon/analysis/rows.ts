/**
 * Reading query results. Analyses only ever read aggregates (one row per feature, bin or
 * category), never raw rows; these helpers turn DuckDB's JS values into plain numbers.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export type Row = Record<string, unknown>;

/** Runs one statement and returns its rows (BIGINT/HUGEINT stay bigint; see `toNumber`). */
export async function readRows(conn: DuckDBConnection, sql: string): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Row[];
}

/** The single row a summary query returns. */
export async function readRow(conn: DuckDBConnection, sql: string): Promise<Row> {
  const rows = await readRows(conn, sql);
  const row = rows[0];
  if (rows.length !== 1 || row === undefined) {
    throw new Error(`expected one row, got ${rows.length}`);
  }
  return row;
}

/** A count or measure as a number; counts arrive as bigint (exact below 2^53). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`expected a number, got ${value === null ? 'NULL' : typeof value}`);
}

/** Like `toNumber`, but SQL NULL (an aggregate over no rows) stays null. */
export function toNullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/** A DOUBLE[] / BIGINT[] value (e.g. from `quantile_cont(v, [...])`); NULL becomes []. */
export function toNumberList(value: unknown): number[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`expected a list, got ${typeof value}`);
  return value.map(toNumber);
}
