/**
 * Row-level skew: the training rows and the served rows of the same entities, joined on a key,
 * compared feature by feature in one DuckDB query. JavaScript reads back one row of aggregates
 * (counts, mean/max differences, a few example pairs per feature), never the joined rows.
 *
 * - Keys are compared as text. Rows without a key are left out (counted); a key repeated on a
 *   side keeps one row — the first by `order` (a trace passes "newest prediction first"; by
 *   default the row with the smallest values) — and the others are counted as duplicates.
 * - The mean absolute difference is summed with Kahan summation (`favg`), so it does not
 *   depend (beyond the last bits) on how DuckDB splits the rows across threads.
 * - Numeric values (TRY_CAST to DOUBLE; NaN/±∞ count as missing, as in drift) are equal when
 *   |t − s| ≤ abs + rel·max(|t|, |s|); categorical values when their text is identical. Two
 *   missing values are equal; a value against a missing one is a mismatch.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { featureValueSql } from '../feature-values.js';
import { readRow, toNullableNumber, toNumber } from '../rows.js';
import { doubleLiteral, quoteIdentifier } from '../sql.js';
import type { FeatureKind } from '../verdict.js';
import type { SkewFeatureSpec } from './distribution.js';
import { DEFAULT_EXAMPLES, DEFAULT_TOLERANCE, decideRowSkew, rankSkew, resolveThresholds, type NumericTolerance, type SkewThresholdValues } from './verdict.js';

export interface RowSide {
  /** Trusted SQL that may stand after FROM. */
  relation: string;
  /** Its key column (any text; it is quoted). */
  key: string;
  /** SQL ORDER BY list over the relation's columns choosing the row kept for a repeated key. */
  order?: string;
}

export interface RowComparisonRequest {
  training: RowSide;
  serving: RowSide;
  features: SkewFeatureSpec[];
  mode: 'rows' | 'replay';
  tolerance?: Partial<NumericTolerance>;
  thresholds?: Partial<SkewThresholdValues>;
  /** Example pairs per feature (default 5). */
  examples?: number;
}

export interface RowExample {
  key: string;
  training: number | string | null;
  serving: number | string | null;
}

export interface RowSkewEntry {
  name: string;
  mode: 'rows' | 'replay';
  kind: FeatureKind;
  skew: boolean;
  score: number;
  metric: 'mismatch_rate';
  threshold: number;
  mismatch_rate: number;
  examples: RowExample[];
  compared: number;
  mismatches: number;
  mean_abs_diff?: number | null;
  max_abs_diff?: number | null;
  missing_training: number;
  missing_serving: number;
}

export interface JoinCounts {
  rows_training: number;
  rows_serving: number;
  matched: number;
  only_training: number;
  only_serving: number;
  duplicates_training: number;
  duplicates_serving: number;
  missing_key_training: number;
  missing_key_serving: number;
}

export interface RowComparisonResult extends JoinCounts {
  features: RowSkewEntry[];
  skewed: string[];
  tolerance: NumericTolerance;
}

export async function compareRows(conn: DuckDBConnection, request: RowComparisonRequest): Promise<RowComparisonResult> {
  const tolerance = { ...DEFAULT_TOLERANCE, ...definedOnly(request.tolerance) };
  const examples = request.examples ?? DEFAULT_EXAMPLES;
  const row = await readRow(conn, rowComparisonSql(request.training, request.serving, request.features, tolerance, examples));
  const counts = joinCounts(row);
  const entries = request.features.map((f, i) =>
    rowEntry(f, request.mode, featureAggregates(row, i, f.kind), counts.matched, resolveThresholds(request.thresholds, f.thresholds)),
  );
  return { ...counts, ...rankSkew(entries), tolerance };
}

export interface FeatureAggregates {
  mismatches: number;
  missing_training: number;
  missing_serving: number;
  mean_abs_diff: number | null;
  max_abs_diff: number | null;
  examples: RowExample[];
}

/** The entry of one feature from its aggregates over `matched` joined rows. */
export function rowEntry(feature: SkewFeatureSpec, mode: 'rows' | 'replay', agg: FeatureAggregates, matched: number, thresholds: SkewThresholdValues): RowSkewEntry {
  const rate = matched === 0 ? 0 : agg.mismatches / matched;
  return {
    name: feature.name,
    mode,
    kind: feature.kind,
    ...decideRowSkew(rate, thresholds),
    mismatch_rate: rate,
    examples: agg.examples,
    compared: matched,
    mismatches: agg.mismatches,
    ...(feature.kind === 'numeric' ? { mean_abs_diff: agg.mean_abs_diff, max_abs_diff: agg.max_abs_diff } : {}),
    missing_training: matched === 0 ? 0 : agg.missing_training / matched,
    missing_serving: matched === 0 ? 0 : agg.missing_serving / matched,
  };
}

export function joinCounts(row: Record<string, unknown>): JoinCounts {
  const keysTraining = toNumber(row.keys_training);
  const keysServing = toNumber(row.keys_serving);
  const matched = toNumber(row.matched);
  return {
    rows_training: toNumber(row.rows_training),
    rows_serving: toNumber(row.rows_serving),
    matched,
    only_training: keysTraining - matched,
    only_serving: keysServing - matched,
    duplicates_training: toNumber(row.duplicates_training),
    duplicates_serving: toNumber(row.duplicates_serving),
    missing_key_training: toNumber(row.missing_key_training),
    missing_key_serving: toNumber(row.missing_key_serving),
  };
}

function featureAggregates(row: Record<string, unknown>, i: number, kind: FeatureKind): FeatureAggregates {
  return {
    mismatches: toNumber(row[`mismatches_${i}`]),
    missing_training: toNumber(row[`missing_training_${i}`]),
    missing_serving: toNumber(row[`missing_serving_${i}`]),
    mean_abs_diff: kind === 'numeric' ? toNullableNumber(row[`mean_abs_diff_${i}`]) : null,
    max_abs_diff: kind === 'numeric' ? toNullableNumber(row[`max_abs_diff_${i}`]) : null,
    examples: toExamples(row[`examples_${i}`]),
  };
}

function toExamples(value: unknown): RowExample[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`expected a list of examples, got ${typeof value}`);
  return value.map((e: Record<string, unknown>) => ({ key: String(e.key), training: exampleValue(e.training), serving: exampleValue(e.serving) }));
}

function exampleValue(v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}

/**
 * SQL: is the numeric pair (t, s) a mismatch? Both missing: no; one missing: yes; else
 * |t − s| > abs + rel·max(|t|, |s|).
 */
export function numericMismatchSql(t: string, s: string, tolerance: NumericTolerance): string {
  return `CASE WHEN ${t} IS NULL THEN ${s} IS NOT NULL WHEN ${s} IS NULL THEN TRUE ELSE abs(${t} - ${s}) > ${doubleLiteral(tolerance.abs)} + ${doubleLiteral(tolerance.rel)} * greatest(abs(${t}), abs(${s})) END`;
}

/**
 * The one query behind `compareRows`: each side read once with its key as text and its
 * feature values (t_i / s_i), one row per key, the inner join, and one row of aggregates:
 * rows_*, missing_key_*, duplicates_*, keys_*, matched, and per feature i mismatches_i,
 * missing_training_i, missing_serving_i, mean_abs_diff_i / max_abs_diff_i (numeric) and
 * examples_i (up to `examples` differing pairs with the smallest keys).
 */
export function rowComparisonSql(training: RowSide, serving: RowSide, features: readonly SkewFeatureSpec[], tolerance: NumericTolerance, examples: number): string {
  const side = (s: RowSide, prefix: 't' | 's', alias: string): string => {
    const key = `CAST(${quoteIdentifier(s.key)} AS VARCHAR)`;
    const values = features.map((f, i) => `${featureValueSql(f.name, f.kind)} AS ${prefix}${i}`);
    const order = s.order ?? (features.length > 0 ? features.map((f) => `${featureValueSql(f.name, f.kind)} NULLS LAST`).join(', ') : 'NULL');
    return `SELECT ${key} AS k, ${[...values, `row_number() OVER (PARTITION BY ${key} ORDER BY ${order}) AS rn`].join(', ')} FROM ${s.relation} AS ${alias}`;
  };
  const pairColumns = features.flatMap((f, i) => [
    `t.t${i}`,
    `s.s${i}`,
    `${f.kind === 'numeric' ? numericMismatchSql(`t.t${i}`, `s.s${i}`, tolerance) : `t.t${i} IS DISTINCT FROM s.s${i}`} AS m${i}`,
  ]);
  const aggregates = features.flatMap((f, i) => {
    const out = [
      `count(*) FILTER (WHERE m${i}) AS mismatches_${i}`,
      `count(*) FILTER (WHERE t${i} IS NULL) AS missing_training_${i}`,
      `count(*) FILTER (WHERE s${i} IS NULL) AS missing_serving_${i}`,
    ];
    if (f.kind === 'numeric') out.push(`favg(abs(t${i} - s${i})) AS mean_abs_diff_${i}`, `max(abs(t${i} - s${i})) AS max_abs_diff_${i}`);
    out.push(examples > 0
      ? `min_by({'key': k, 'training': t${i}, 'serving': s${i}}, k, ${Math.floor(examples)}) FILTER (WHERE m${i}) AS examples_${i}`
      : `NULL AS examples_${i}`);
    return out;
  });
  return `WITH
  training_keyed AS MATERIALIZED (${side(training, 't', 'training_rows')}),
  serving_keyed AS MATERIALIZED (${side(serving, 's', 'serving_rows')}),
  pairs AS MATERIALIZED (
    SELECT t.k${pairColumns.length ? `, ${pairColumns.join(', ')}` : ''}
    FROM training_keyed AS t JOIN serving_keyed AS s ON t.k = s.k
    WHERE t.rn = 1 AND s.rn = 1
  ),
  aggregates AS (SELECT ${['count(*) AS matched', ...aggregates].join(',\n    ')} FROM pairs)
SELECT
  (SELECT count(*) FROM training_keyed) AS rows_training,
  (SELECT count(*) FROM serving_keyed) AS rows_serving,
  (SELECT count(*) FROM training_keyed WHERE k IS NULL) AS missing_key_training,
  (SELECT count(*) FROM serving_keyed WHERE k IS NULL) AS missing_key_serving,
  (SELECT count(*) FROM training_keyed WHERE k IS NOT NULL AND rn > 1) AS duplicates_training,
  (SELECT count(*) FROM serving_keyed WHERE k IS NOT NULL AND rn > 1) AS duplicates_serving,
  (SELECT count(*) FROM training_keyed WHERE k IS NOT NULL AND rn = 1) AS keys_training,
  (SELECT count(*) FROM serving_keyed WHERE k IS NOT NULL AND rn = 1) AS keys_serving,
  aggregates.*
FROM aggregates`;
}

function definedOnly<T extends object>(value: Partial<T> | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
