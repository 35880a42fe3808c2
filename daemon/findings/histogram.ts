import type { DuckDBConnection } from '@duckdb/node-api';
import type { FeatureKind } from '../../protocol';
import { ident } from '../store/sql';

/** Reference vs current distribution of one feature, as proportions per bin (for hovers and the drift view). */
export type Histogram =
  | { edges: number[]; ref: number[]; cur: number[] }
  | { categories: string[]; ref: number[]; cur: number[] };

const TOP_CATEGORIES = 12;

/**
 * Numeric: the same decile bins PSI and JS use (edges = distinct `quantile_cont(R, k/10)`,
 * bins (−∞,e1], (e1,e2], …, (e_last,∞)). Categorical: the most common categories of R ∪ C and
 * an "(other)" bin. Proportions are over non-missing values of each side.
 */
export async function featureHistogram(conn: DuckDBConnection, reference: string, current: string, feature: string, kind: FeatureKind): Promise<Histogram> {
  const col = ident(feature);
  if (kind === 'numeric') {
    const value = `CASE WHEN isfinite(TRY_CAST(${col} AS DOUBLE)) THEN TRY_CAST(${col} AS DOUBLE) END`;
    const q = await conn.runAndReadAll(`
      WITH e AS (SELECT list_distinct(quantile_cont(v, [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9])) AS edges
                 FROM (SELECT ${value} AS v FROM ${reference} r) WHERE v IS NOT NULL),
           edges AS (SELECT list_sort(edges) AS edges FROM e),
           binned AS (
             SELECT 'r' AS side, list_position(list_transform(edges.edges, x -> v <= x), true) AS b, edges.edges AS edges
               FROM (SELECT ${value} AS v FROM ${reference} r) , edges WHERE v IS NOT NULL
             UNION ALL
             SELECT 'c', list_position(list_transform(edges.edges, x -> v <= x), true), edges.edges
               FROM (SELECT ${value} AS v FROM ${current} c) , edges WHERE v IS NOT NULL)
      SELECT side, coalesce(b, len(edges) + 1) AS bin, count(*) AS n, any_value(edges) AS edges FROM binned GROUP BY ALL`);
    const rows = q.getRowObjectsJS();
    const edges = ((rows[0]?.edges as number[] | undefined) ?? []).map(Number);
    const ref = new Array<number>(edges.length + 1).fill(0);
    const cur = new Array<number>(edges.length + 1).fill(0);
    for (const r of rows) (r.side === 'r' ? ref : cur)[Number(r.bin) - 1]! += Number(r.n);
    return { edges, ref: normalise(ref), cur: normalise(cur) };
  }
  const value = `CAST(${col} AS VARCHAR)`;
  const q = await conn.runAndReadAll(`
    WITH counts AS (
      SELECT v, count(*) FILTER (WHERE side = 'r') AS r, count(*) FILTER (WHERE side = 'c') AS c FROM (
        SELECT ${value} AS v, 'r' AS side FROM ${reference} r UNION ALL SELECT ${value}, 'c' FROM ${current} c
      ) WHERE v IS NOT NULL GROUP BY v)
    SELECT v, r, c FROM counts ORDER BY r + c DESC, v`);
  const rows = q.getRowObjectsJS();
  const top = rows.slice(0, TOP_CATEGORIES);
  const rest = rows.slice(TOP_CATEGORIES);
  const categories = top.map((r) => String(r.v));
  const ref = top.map((r) => Number(r.r));
  const cur = top.map((r) => Number(r.c));
  if (rest.length > 0) {
    categories.push('(other)');
    ref.push(rest.reduce((a, r) => a + Number(r.r), 0));
    cur.push(rest.reduce((a, r) => a + Number(r.c), 0));
  }
  const totalRef = rows.reduce((a, r) => a + Number(r.r), 0);
  const totalCur = rows.reduce((a, r) => a + Number(r.c), 0);
  return { categories, ref: ref.map((x) => (totalRef ? x / totalRef : 0)), cur: cur.map((x) => (totalCur ? x / totalCur : 0)) };
}

function normalise(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total ? c / total : 0));
}
