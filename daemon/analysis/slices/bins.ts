/**
 * Decile bins of a numeric slice attribute, defined exactly as drift's PSI/JS bins (binning.ts):
 * edges = the distinct values of numpy's `np.quantile(x, k/10)` (linear interpolation), k = 1..9,
 * over the rows analysed; bins (−∞, e₁], (e₁, e₂], …, (e_last, ∞); a value's bin is the number
 * of edges strictly below it.
 */
import type { SliceCondition } from '../../../protocol';
import { doubleLiteral } from '../sql.js';

/**
 * CTEs ending in `edges_<suffix>(k, edge)`: the order statistics of `column` of `source` (NULLs
 * left out) at ranks ⌊h⌋+1 and ⌊h⌋+2 clipped to n, h = (n − 1)·k/10, interpolated as numpy's
 * `_lerp` does (a + (b − a)·t, or b − (b − a)·(1 − t) when t ≥ ½), which makes the edges — and
 * so the bin of a value sitting on one — bit-identical to numpy's.
 */
export function decileEdgeCtes(source: string, column: string, suffix: string): string[] {
  return [
    `size_${suffix} AS (SELECT count(${column}) AS n FROM ${source})`,
    `index_${suffix} AS (SELECT k, (n - 1) * (k / 10) AS h, least(floor(h)::BIGINT + 1, n) AS lo_rank, least(floor(h)::BIGINT + 2, n) AS hi_rank
      FROM size_${suffix}, range(1, 10) AS deciles(k) WHERE n > 0)`,
    `order_${suffix} AS (SELECT rank, v FROM (SELECT ${column} AS v, row_number() OVER (ORDER BY ${column}) AS rank FROM ${source} WHERE ${column} IS NOT NULL) AS ranked
      WHERE rank IN (SELECT lo_rank FROM index_${suffix} UNION SELECT hi_rank FROM index_${suffix}))`,
    `edges_${suffix} AS (SELECT k, CASE WHEN t >= 0.5 THEN b - (b - a) * (1 - t) ELSE a + (b - a) * t END AS edge
      FROM (SELECT k, h - floor(h) AS t, lo.v AS a, hi.v AS b FROM index_${suffix}
            JOIN order_${suffix} AS lo ON lo.rank = index_${suffix}.lo_rank JOIN order_${suffix} AS hi ON hi.rank = index_${suffix}.hi_rank) AS pairs)`,
  ];
}

/** SQL column: the edges of `edges_<suffix>` as a DOUBLE[] in k order (NULL without values). */
export function edgeListSql(suffix: string): string {
  return `(SELECT list(edge ORDER BY k) FROM edges_${suffix}) AS edges_${suffix}`;
}

/** The distinct edges, in order. */
export function distinctEdges(values: readonly number[]): number[] {
  const out: number[] = [];
  for (const v of values) if (out.length === 0 || v !== out[out.length - 1]) out.push(v);
  return out;
}

/** SQL expression: the bin of a numeric value among distinct sorted edges, NULL when missing. */
export function binSql(value: string, edges: readonly number[]): string {
  const above = edges.map((e) => `(${value} > ${doubleLiteral(e)})::INTEGER`);
  return `CASE WHEN ${value} IS NULL THEN NULL ELSE ${above.length ? above.join(' + ') : '0'} END`;
}

/** The predicate of bin `bin` (0..edges.length) of a numeric attribute. */
export function binPredicate(feature: string, edges: readonly number[], bin: number): SliceCondition {
  if (edges.length === 0) throw new Error(`${feature}: no bin edges`);
  if (bin <= 0) return { feature, op: '<=', value: edges[0]! };
  if (bin >= edges.length) return { feature, op: '>', value: edges[edges.length - 1]! };
  return { feature, op: 'between', value: [edges[bin - 1]!, edges[bin]!] };
}
