/**
 * Drift metrics of one categorical feature. DuckDB counts each category on both sides in one
 * query (bins are the categories of R ∪ C); JavaScript then loops over those per-category
 * counts — one pair per distinct category, never per row.
 *
 * Values are compared as text (feature-values.ts), so BOOLEAN, ENUM and numeric codes all
 * work; NULL is missing.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { chiSquareHomogeneity, type ChiSquareTest } from './chi-square.js';
import { jensenShannonDistance, linfDistance, populationStabilityIndex, proportions } from './divergence.js';
import { readRow, toNumber, toNumberList } from './rows.js';
import type { SampleCounts } from './numeric-drift.js';
import { featureValueSql } from './feature-values.js';

/** Categorical metrics; null when a side is empty. */
export interface CategoricalMetricValues {
  linf: number;
  js: number;
  psi: number;
  chi2: ChiSquareTest;
}

export interface CategoricalDriftResult extends SampleCounts {
  metrics: CategoricalMetricValues | null;
}

export async function categoricalDrift(
  conn: DuckDBConnection,
  reference: string,
  current: string,
  feature: string,
): Promise<CategoricalDriftResult> {
  const row = await readRow(conn, categoricalDriftSql(reference, current, feature));
  const refCounts = toNumberList(row.ref_counts);
  const curCounts = toNumberList(row.cur_counts);
  const counts: SampleCounts = {
    rows_ref: toNumber(row.rows_ref),
    rows_cur: toNumber(row.rows_cur),
    n_ref: refCounts.reduce((s, c) => s + c, 0),
    n_cur: curCounts.reduce((s, c) => s + c, 0),
  };
  return { ...counts, metrics: categoricalMetrics(refCounts, curCounts) };
}

/**
 * linf, Jensen–Shannon, PSI and the χ² homogeneity test from per-category counts of R and C
 * (aligned by category); null when either sample is empty.
 */
export function categoricalMetrics(
  refCounts: readonly number[],
  curCounts: readonly number[],
): CategoricalMetricValues | null {
  const n = refCounts.reduce((s, c) => s + c, 0);
  const m = curCounts.reduce((s, c) => s + c, 0);
  if (n === 0 || m === 0) return null;
  const chi2 = chiSquareHomogeneity(refCounts, curCounts);
  if (chi2 === null) return null;
  const p = proportions(refCounts, n);
  const q = proportions(curCounts, m);
  return {
    linf: linfDistance(p, q),
    js: jensenShannonDistance(p, q),
    psi: populationStabilityIndex(p, q),
    chi2,
  };
}

/**
 * The one query behind `categoricalDrift`: row totals, and the per-category counts of both
 * sides as two aligned lists (ordered by category so results are reproducible). One pass over
 * each relation, nothing materialised: the missing values are the NULL group of the same
 * count, so the row totals come from the same GROUP BY.
 */
export function categoricalDriftSql(reference: string, current: string, feature: string): string {
  const value = featureValueSql(feature, 'categorical');
  return `WITH
  category_counts AS MATERIALIZED (
    SELECT category, count(from_ref) AS ref_count, count(*) - count(from_ref) AS cur_count
    FROM (
      SELECT ${value} AS category, TRUE AS from_ref FROM ${reference} AS reference_rows
      UNION ALL
      SELECT ${value} AS category, NULL AS from_ref FROM ${current} AS current_rows
    ) AS pooled
    GROUP BY category
  )
SELECT
  (SELECT coalesce(sum(ref_count), 0) FROM category_counts) AS rows_ref,
  (SELECT coalesce(sum(cur_count), 0) FROM category_counts) AS rows_cur,
  (SELECT list(ref_count ORDER BY category) FROM category_counts WHERE category IS NOT NULL) AS ref_counts,
  (SELECT list(cur_count ORDER BY category) FROM category_counts WHERE category IS NOT NULL) AS cur_counts`;
}
