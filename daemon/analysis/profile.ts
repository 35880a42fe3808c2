/**
 * Inferring a data schema from reference data (usually the training set): per feature its
 * type, kind, missing rate, cardinality, numeric range and — for categorical features with few
 * distinct values — the allowed categories. Aggregates only: one query per feature, plus one
 * for the category list when it is short enough to keep.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRelation, kindOfSqlType } from './feature-kind.js';
import { featureValueSql } from './feature-values.js';
import type { DataSchema, FeatureSchema } from './quality-schema.js';
import { readRow, readRows, toNullableNumber, toNumber } from './rows.js';
import type { FeatureKind } from './verdict.js';

export const DEFAULT_CATEGORY_LIMIT = 50;

export interface SchemaFeature {
  name: string;
  /** Defaults to the kind of the column's type (see feature-kind.ts). */
  kind?: FeatureKind;
}

export interface InferSchemaOptions {
  /** Keep the category list of features with at most this many distinct values (50). */
  categoryLimit?: number;
}

/**
 * The schema of `relation` (trusted SQL that may stand after FROM) for the given features.
 * Throws for a feature that is not a column, or whose type has no kind and none was given.
 */
export async function inferSchema(
  conn: DuckDBConnection,
  relation: string,
  features: readonly (SchemaFeature | string)[],
  options: InferSchemaOptions = {},
): Promise<DataSchema> {
  const categoryLimit = options.categoryLimit ?? DEFAULT_CATEGORY_LIMIT;
  const columns = new Map((await describeRelation(conn, relation)).map((c) => [c.name, c.type]));
  const profiles: FeatureSchema[] = [];
  let rowCount = 0;
  for (const feature of features.map((f) => (typeof f === 'string' ? { name: f } : f))) {
    const type = columns.get(feature.name);
    if (type === undefined) throw new Error(`no column ${JSON.stringify(feature.name)} in the relation`);
    const kind = feature.kind ?? kindOfSqlType(type);
    if (kind === undefined) {
      throw new Error(`column ${JSON.stringify(feature.name)} has type ${type}: give its kind explicitly`);
    }
    const value = featureValueSql(feature.name, kind);
    const row = await readRow(
      conn,
      `SELECT count(*) AS row_count,
         count(${value}) AS present,
         count(DISTINCT ${value}) AS cardinality,
         ${kind === 'numeric' ? `min(${value})` : 'NULL'} AS min,
         ${kind === 'numeric' ? `max(${value})` : 'NULL'} AS max
       FROM ${relation} AS profiled_rows`,
    );
    rowCount = toNumber(row.row_count);
    const cardinality = toNumber(row.cardinality);
    const categories =
      kind === 'categorical' && cardinality <= categoryLimit
        ? (await readRows(
            conn,
            `SELECT DISTINCT ${value} AS category FROM ${relation} AS profiled_rows
             WHERE ${value} IS NOT NULL ORDER BY category`,
          )).map((r) => String(r.category))
        : null;
    profiles.push({
      name: feature.name,
      type,
      kind,
      missing_rate: rowCount === 0 ? 0 : (rowCount - toNumber(row.present)) / rowCount,
      cardinality,
      min: toNullableNumber(row.min),
      max: toNullableNumber(row.max),
      categories,
    });
  }
  if (features.length === 0) {
    rowCount = toNumber((await readRow(conn, `SELECT count(*) AS n FROM ${relation} AS profiled_rows`)).n);
  }
  return { row_count: rowCount, category_limit: categoryLimit, features: profiles };
}
