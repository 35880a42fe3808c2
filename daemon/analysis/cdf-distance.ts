/**
 * Distances between the empirical CDFs F_R and F_C of two numeric samples, computed wholly in
 * DuckDB so that no row (and no distinct value) ever reaches JavaScript:
 *
 *   KS statistic  D = sup_x |F_R(x) − F_C(x)|                      (as scipy.stats.ks_2samp)
 *   Wasserstein-1 W = ∫ |F_R(x) − F_C(x)| dx
 *                   = Σ_j |F_R(x_j) − F_C(x_j)| · (x_{j+1} − x_j)   (as scipy.stats.wasserstein_distance)
 *
 * over the sorted distinct values x_j of both samples pooled. Both CDFs are step functions
 * that only change at those values, so the supremum is a maximum over them and the integral a
 * finite sum.
 *
 * One window pass over the pooled samples, sorted once, yields a CDF stream: for every row the
 * number of reference rows (`ref_count`, 0 or 1 per row, or the multiplicity of a distinct
 * value), the number of reference rows and of all rows up to and including it (`ref_upto`,
 * `all_upto`) and the next value (`next_v`). Two ways to build it, with the same columns and the
 * same results:
 *
 *   row stream (`pooledCdfSql`):      one row per value, ROWS framing over the pooled sort. Only
 *                                     the last row of each run of equal values carries the full
 *                                     counts at that value, F(x_j) (`LAST_OF_TIES`).
 *   distinct stream (`distinctCdfSql`): the values grouped first (one row per distinct value with
 *                                     its counts per side), then running sums over those rows.
 *                                     Far cheaper when values repeat (integer codes, rounded
 *                                     amounts: millions of rows, hundreds of values); dearer for
 *                                     continuous data, where grouping reduces nothing and the hash
 *                                     table is as large as the input.
 *
 * The distances aggregate over the LAST_OF_TIES rows, where `next_v − v` is the gap to the next
 * distinct value (NULL after the largest, which adds nothing). F is count / size, the same
 * division scipy does, so D is bit-identical to scipy's; W is summed with Kahan summation
 * (`fsum`). ROWS framing with row_number/count is used rather than RANGE framing because it is
 * markedly cheaper in DuckDB at millions of rows.
 */

/**
 * SQL body of the pooled, sorted row stream over relations `ref(v)` and `cur(v)` (finite
 * DOUBLEs): columns v, ref_count (1 or 0), ref_upto, all_upto and next_v.
 */
export function pooledCdfSql(): string {
  return `SELECT v, CASE WHEN from_ref THEN 1 ELSE 0 END AS ref_count,
      count(from_ref) OVER upto AS ref_upto,
      row_number() OVER upto AS all_upto,
      lead(v) OVER upto AS next_v
    FROM (SELECT v, TRUE AS from_ref FROM ref UNION ALL SELECT v, NULL FROM cur) AS pooled
    WINDOW upto AS (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
}

/**
 * SQL body of the distinct-value stream over `ref(v)` and `cur(v)`: the columns of
 * `pooledCdfSql` and all_count (rows of both samples at the value), one row per distinct value
 * (so every row is the last of its ties).
 */
export function distinctCdfSql(): string {
  return `SELECT v, ref_count, all_count,
      (sum(ref_count) OVER upto)::BIGINT AS ref_upto,
      (sum(all_count) OVER upto)::BIGINT AS all_upto,
      lead(v) OVER upto AS next_v
    FROM (
      SELECT v, count(from_ref) AS ref_count, count(*) AS all_count
      FROM (SELECT v, TRUE AS from_ref FROM ref UNION ALL SELECT v, NULL FROM cur) AS pooled
      GROUP BY v
    ) AS distinct_values
    WINDOW upto AS (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
}

/** SQL predicate selecting the rows of a CDF stream that carry F at a distinct value. */
export const LAST_OF_TIES = 'next_v IS DISTINCT FROM v';

/**
 * SQL aggregates over a CDF stream (with sample sizes n and m in scope) for the KS statistic
 * and the Wasserstein distance; they read only the LAST_OF_TIES rows.
 */
export function cdfDistanceAggregatesSql(): string {
  const gap = 'abs(ref_upto / nullif(n, 0) - (all_upto - ref_upto) / nullif(m, 0))';
  return `max(${gap}) FILTER (WHERE ${LAST_OF_TIES}) AS ks_statistic,
      coalesce(fsum(${gap} * (next_v - v)) FILTER (WHERE ${LAST_OF_TIES}), 0) AS wasserstein`;
}
