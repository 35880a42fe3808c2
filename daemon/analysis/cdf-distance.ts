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
 * One window pass over the pooled samples, sorted once, yields for every row the number of
 * reference rows and of all rows up to and including it (ROWS frame) and the next value.
 * Only the last row of each run of equal values carries the full counts at that value, F(x_j);
 * the distances aggregate over exactly those rows (`next_v IS DISTINCT FROM v`), where
 * `next_v − v` is the gap to the next distinct value (NULL after the largest, which adds
 * nothing). F is count / size, the same division scipy does, so D is bit-identical to
 * scipy's; W is summed with Kahan summation (`fsum`). ROWS framing with row_number/count is
 * used rather than RANGE framing because it is markedly cheaper in DuckDB at millions of rows.
 */

/**
 * SQL body of the pooled, sorted stream over relations `ref(v)` and `cur(v)` (finite DOUBLEs):
 * columns v, from_ref (TRUE or NULL), ref_upto (# reference rows up to this row), all_upto
 * (# rows up to this row) and next_v.
 */
export function pooledCdfSql(): string {
  return `SELECT v, from_ref,
      count(from_ref) OVER upto AS ref_upto,
      row_number() OVER upto AS all_upto,
      lead(v) OVER upto AS next_v
    FROM (SELECT v, TRUE AS from_ref FROM ref UNION ALL SELECT v, NULL FROM cur) AS pooled
    WINDOW upto AS (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
}

/** SQL predicate selecting the rows of the pooled stream that carry F at a distinct value. */
export const LAST_OF_TIES = 'next_v IS DISTINCT FROM v';

/**
 * SQL aggregates (over the LAST_OF_TIES rows of the pooled stream, with sample sizes n and m
 * in scope) for the KS statistic and the Wasserstein distance.
 */
export function cdfDistanceAggregatesSql(): string {
  const gap = 'abs(ref_upto / nullif(n, 0) - (all_upto - ref_upto) / nullif(m, 0))';
  return `max(${gap}) AS ks_statistic,
      coalesce(fsum(${gap} * (next_v - v)), 0) AS wasserstein`;
}
