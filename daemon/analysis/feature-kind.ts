/**
 * Which statistics suit a column: numeric (KS, Wasserstein, decile PSI/JS) or categorical
 * (category counts), decided from its DuckDB type, with explicit overrides for the cases the
 * type gets wrong (integer codes that are really categories, numbers stored as text).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { readRows } from './rows.js';
import type { FeatureKind } from './verdict.js';

const NUMERIC_TYPES = new Set([
  'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT',
  'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT',
  'FLOAT', 'DOUBLE',
]);

/**
 * The kind of a DuckDB type as DESCRIBE prints it: integer, floating and DECIMAL(p,s) types
 * are numeric; VARCHAR, BOOLEAN and ENUM(...) are categorical; anything else (dates, lists,
 * structs, blobs, …) has no drift statistics here and yields undefined.
 */
export function kindOfSqlType(sqlType: string): FeatureKind | undefined {
  const type = sqlType.trim().toUpperCase();
  if (NUMERIC_TYPES.has(type) || type.startsWith('DECIMAL')) return 'numeric';
  if (type === 'VARCHAR' || type === 'BOOLEAN' || type.startsWith('ENUM(')) return 'categorical';
  return undefined;
}

export interface ColumnDescription {
  name: string;
  /** DuckDB type text, e.g. `DOUBLE`, `DECIMAL(10,3)`, `ENUM('a', 'b')`. */
  type: string;
}

/** Column names and types of a relation (anything that may stand after FROM). */
export async function describeRelation(conn: DuckDBConnection, relation: string): Promise<ColumnDescription[]> {
  const rows = await readRows(conn, `DESCRIBE SELECT * FROM ${relation} AS described_rows`);
  return rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}

export interface InferredFeature {
  name: string;
  kind: FeatureKind;
  type: string;
}

/**
 * The features of a relation with their kinds: `overrides` (by column name) win over the
 * type; columns of other types are left out; `only` restricts to the named columns.
 */
export async function inferFeatureKinds(
  conn: DuckDBConnection,
  relation: string,
  options: { overrides?: Record<string, FeatureKind>; only?: readonly string[] } = {},
): Promise<InferredFeature[]> {
  const wanted = options.only ? new Set(options.only) : undefined;
  const features: InferredFeature[] = [];
  for (const column of await describeRelation(conn, relation)) {
    if (wanted && !wanted.has(column.name)) continue;
    const overrides = options.overrides ?? {};
    // hasOwn, not `in`/indexing: a column named "constructor" must not find Object's.
    const kind = Object.hasOwn(overrides, column.name) ? overrides[column.name] : kindOfSqlType(column.type);
    if (kind) features.push({ name: column.name, kind, type: column.type });
  }
  return features;
}
