/**
 * Data-quality checks of current data against a schema inferred from reference data
 * (profile.ts). One aggregate query per feature measures what the rules need (quality-rules.ts
 * judges it): value counts, distinct values, values outside the schema's range, values in
 * unlisted categories with a few examples, and the single value of a constant column.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRelation, kindOfSqlType } from './feature-kind.js';
import { featureValueSql } from './feature-values.js';
import type { DataSchema, FeatureSchema, QualityReport } from './quality-schema.js';
import {
  allowedRange,
  DEFAULT_QUALITY_OPTIONS,
  judgeQuality,
  type FeatureObservation,
  type QualityOptions,
} from './quality-rules.js';
import { readRow, toNullableNumber, toNumber } from './rows.js';
import { doubleLiteral, quoteLiteral } from './sql.js';

/** How many unseen categories a violation names. */
export const UNSEEN_EXAMPLES = 5;

export async function checkQuality(
  conn: DuckDBConnection,
  schema: DataSchema,
  currentRelation: string,
  options: Partial<QualityOptions> = {},
): Promise<QualityReport> {
  const settings: QualityOptions = { ...DEFAULT_QUALITY_OPTIONS, ...options };
  const described = await describeRelation(conn, currentRelation);
  const columns = new Map(described.map((c) => [c.name, c.type]));
  // DuckDB resolves identifiers case-insensitively; so does the lookup when the exact name is absent.
  const folded = new Map(described.map((c) => [c.name.toLowerCase(), c.type]));
  const rows = toNumber((await readRow(conn, `SELECT count(*) AS n FROM ${currentRelation} AS current_rows`)).n);
  const observations = new Map<string, FeatureObservation>();
  for (const feature of schema.features) {
    const type = columns.get(feature.name) ?? folded.get(feature.name.toLowerCase()) ?? null;
    observations.set(feature.name, await observeFeature(conn, feature, type, currentRelation, rows, settings));
  }
  return { violations: judgeQuality(schema, rows, observations, settings) };
}

async function observeFeature(
  conn: DuckDBConnection,
  feature: FeatureSchema,
  type: string | null,
  relation: string,
  rows: number,
  options: QualityOptions,
): Promise<FeatureObservation> {
  const absent: FeatureObservation = {
    type,
    rows,
    present: 0,
    cardinality: 0,
    outside: null,
    min: null,
    max: null,
    unseen: null,
    unseenExamples: [],
    constantValue: null,
  };
  // Absent, or of another kind: the rules report that alone.
  if (type === null || kindOfSqlType(type) !== feature.kind) return absent;
  const row = await readRow(conn, observationSql(feature, relation, options));
  return {
    ...absent,
    present: toNumber(row.present),
    cardinality: toNumber(row.cardinality),
    outside: toNullableNumber(row.outside),
    min: toNullableNumber(row.min),
    max: toNullableNumber(row.max),
    unseen: toNullableNumber(row.unseen),
    unseenExamples: Array.isArray(row.unseen_examples) ? row.unseen_examples.map(String) : [],
    constantValue: row.constant_value === null || row.constant_value === undefined ? null : String(row.constant_value),
  };
}

/** The one query measuring a feature of the current data (exported for tests). */
export function observationSql(feature: FeatureSchema, relation: string, options: QualityOptions): string {
  const value = featureValueSql(feature.name, feature.kind);
  const range = allowedRange(feature, options.rangeMargin);
  const outside = range
    ? `count(*) FILTER (WHERE v < ${doubleLiteral(range.min)} OR v > ${doubleLiteral(range.max)})`
    : 'NULL';
  const allowed = feature.categories
    ? `[${feature.categories.map(quoteLiteral).join(', ')}]::VARCHAR[]`
    : null;
  const unseen = allowed ? `count(*) FILTER (WHERE v IS NOT NULL AND NOT list_contains(${allowed}, v))` : 'NULL';
  const unseenExamples = allowed
    ? `(SELECT list(v ORDER BY hits DESC, v)[1:${UNSEEN_EXAMPLES}] FROM (
         SELECT v, count(*) AS hits FROM observed WHERE v IS NOT NULL AND NOT list_contains(${allowed}, v) GROUP BY v
       ))`
    : 'NULL';
  const numeric = feature.kind === 'numeric';
  return `WITH observed AS MATERIALIZED (SELECT ${value} AS v FROM ${relation} AS current_rows)
SELECT
  count(v) AS present,
  count(DISTINCT v) AS cardinality,
  ${outside} AS outside,
  ${numeric ? 'min(v)' : 'NULL'} AS min,
  ${numeric ? 'max(v)' : 'NULL'} AS max,
  ${unseen} AS unseen,
  ${unseenExamples} AS unseen_examples,
  CASE WHEN count(DISTINCT v) = 1 THEN CAST(any_value(v) AS VARCHAR) END AS constant_value
FROM observed`;
}
