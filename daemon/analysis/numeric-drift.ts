/**
 * Drift metrics of one numeric feature, from a single DuckDB query.
 *
 * The query reads the feature's column of both relations once each (materialised, so an
 * expensive relation such as a view over a join is not evaluated several times), sorts the
 * pooled values once, and returns one row: row and value counts, std(R), the decile edges of
 * R, per-bin counts of both samples, the KS statistic and the Wasserstein distance.
 * JavaScript then derives the p-value, the bin proportions, PSI and Jensen–Shannon from those
 * ≤ 35 numbers.
 *
 * Missing values (feature-values.ts): NULL, values that do not cast to DOUBLE, NaN and ±∞ are
 * counted as missing and left out of every metric (∞ has no place on a CDF integral or a decile).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { binCounts, binIndexSql, decileEdgesSql, decileIndexSql, edgeRowSql } from './binning.js';
import { cdfDistanceAggregatesSql, LAST_OF_TIES, pooledCdfSql } from './cdf-distance.js';
import { jensenShannonDistance, populationStabilityIndex, proportions } from './divergence.js';
import { ksPValue } from './kolmogorov.js';
import { readRow, toNullableNumber, toNumber, toNumberList } from './rows.js';
import { featureValueSql } from './feature-values.js';

export interface SampleCounts {
  /** All rows of the relation. */
  rows_ref: number;
  rows_cur: number;
  /** Non-missing values: the sample sizes n and m. */
  n_ref: number;
  n_cur: number;
}

/**
 * Numeric metrics; all null when a side is empty. `wasserstein_norm` may be +Infinity here
 * (constant reference, different current); the report encodes that as null.
 */
export interface NumericMetricValues {
  ks_statistic: number;
  ks_p_value: number;
  wasserstein: number;
  wasserstein_norm: number;
  psi: number;
  js: number;
}

export interface NumericDriftResult extends SampleCounts {
  metrics: NumericMetricValues | null;
}

export async function numericDrift(
  conn: DuckDBConnection,
  reference: string,
  current: string,
  feature: string,
): Promise<NumericDriftResult> {
  const row = await readRow(conn, numericDriftSql(reference, current, feature));
  const counts: SampleCounts = {
    rows_ref: toNumber(row.rows_ref),
    rows_cur: toNumber(row.rows_cur),
    n_ref: toNumber(row.n_ref),
    n_cur: toNumber(row.n_cur),
  };
  const { n_ref: n, n_cur: m } = counts;
  if (n === 0 || m === 0) return { ...counts, metrics: null };

  const ksStatistic = toNumber(row.ks_statistic);
  const wasserstein = toNumber(row.wasserstein);
  const edges = toNumberList(row.edges);
  const bins = toNumberList(row.bins);
  const byBin = (counts: number[]) => new Map(bins.map((bin, i) => [bin, counts[i] ?? 0]));
  const p = proportions(binCounts(edges, byBin(toNumberList(row.ref_bin_counts))), n);
  const q = proportions(binCounts(edges, byBin(toNumberList(row.cur_bin_counts))), m);
  return {
    ...counts,
    metrics: {
      ks_statistic: ksStatistic,
      ks_p_value: ksPValue(ksStatistic, n, m),
      wasserstein,
      wasserstein_norm: normalisedWasserstein(wasserstein, toNullableNumber(row.std_ref)),
      psi: populationStabilityIndex(p, q),
      js: jensenShannonDistance(p, q),
    },
  };
}

/**
 * wasserstein / std(R) with the sample std (ddof = 1). A reference without spread (std 0, or
 * a single value whose std is undefined) is a point mass: 0 when the current sample equals it
 * (W = 0), else +∞.
 */
export function normalisedWasserstein(wasserstein: number, stdRef: number | null): number {
  if (stdRef === null || stdRef === 0) return wasserstein === 0 ? 0 : Infinity;
  return wasserstein / stdRef;
}

/**
 * The one query behind `numericDrift` (exported for tests and EXPLAIN). Its CTEs, in order:
 * both columns read once (materialised), the finite values, the sample sizes, the pooled
 * sorted stream with running counts (cdf-distance.ts), the decile positions, order statistics
 * and edges of R and the per-bin counts of both samples (binning.ts), and the KS and
 * Wasserstein aggregates over the stream.
 */
export function numericDriftSql(reference: string, current: string, feature: string): string {
  const value = featureValueSql(feature, 'numeric');
  return `WITH
  ref_all AS MATERIALIZED (SELECT ${value} AS v FROM ${reference} AS reference_rows),
  cur_all AS MATERIALIZED (SELECT ${value} AS v FROM ${current} AS current_rows),
  ref AS (SELECT v FROM ref_all WHERE v IS NOT NULL),
  cur AS (SELECT v FROM cur_all WHERE v IS NOT NULL),
  sizes AS (SELECT (SELECT count(*) FROM ref) AS n, (SELECT count(*) FROM cur) AS m),
  pooled_cdf AS MATERIALIZED (${pooledCdfSql()}),
  decile_index AS (${decileIndexSql()}),
  order_stats AS (
    SELECT ref_upto AS rank, v FROM pooled_cdf
    WHERE from_ref AND ref_upto IN (SELECT lo_rank FROM decile_index UNION SELECT hi_rank FROM decile_index)
  ),
  decile_edges AS (${decileEdgesSql()}),
  edge_row AS (${edgeRowSql()}),
  bin_counts AS (
    SELECT bin, count(from_ref) AS ref_count, count(*) - count(from_ref) AS cur_count
    FROM (SELECT ${binIndexSql()} AS bin, from_ref FROM pooled_cdf, edge_row) AS binned
    GROUP BY bin
  ),
  distance AS (
    SELECT ${cdfDistanceAggregatesSql()} FROM pooled_cdf, sizes WHERE ${LAST_OF_TIES}
  )
SELECT
  (SELECT count(*) FROM ref_all) AS rows_ref,
  (SELECT count(*) FROM cur_all) AS rows_cur,
  sizes.n AS n_ref,
  sizes.m AS n_cur,
  (SELECT stddev_samp(v) FROM ref) AS std_ref,
  edge_row.edges,
  (SELECT list(bin ORDER BY bin) FROM bin_counts) AS bins,
  (SELECT list(ref_count ORDER BY bin) FROM bin_counts) AS ref_bin_counts,
  (SELECT list(cur_count ORDER BY bin) FROM bin_counts) AS cur_bin_counts,
  distance.ks_statistic,
  distance.wasserstein
FROM sizes, edge_row, distance`;
}
