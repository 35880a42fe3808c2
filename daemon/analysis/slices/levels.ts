/**
 * The one-predicate slices of attributes — each category (most frequent first) or each decile
 * bin (bins.ts), plus `is_null` when values are missing — for per-slice evaluation metrics
 * (`evaluate(…, { slices })`), e.g. `sightline eval --slices origin,dep_hour`. One query.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SliceCondition } from '../../../protocol';
import { featureValueSql } from '../feature-values.js';
import { readRow, toNumber, toNumberList } from '../rows.js';
import type { FeatureKind } from '../verdict.js';
import { binPredicate, decileEdgeCtes, distinctEdges, edgeListSql } from './bins.js';

export interface AttributeLevel {
  attribute: string;
  kind: FeatureKind;
  predicates: SliceCondition[];
}

/** At most `maxCategories` categories per categorical attribute (default 100), the most frequent. */
export async function attributeLevels(
  conn: DuckDBConnection,
  relation: string,
  attributes: ReadonlyArray<{ name: string; kind: FeatureKind }>,
  opts: { maxCategories?: number } = {},
): Promise<AttributeLevel[]> {
  if (attributes.length === 0) return [];
  const limit = opts.maxCategories ?? 100;
  const values = attributes.map((a, i) => `${featureValueSql(a.name, a.kind)} AS v${i}`);
  const ctes = [`levels_input AS MATERIALIZED (SELECT ${values.join(', ')} FROM ${relation} AS level_rows)`];
  const columns: string[] = [];
  attributes.forEach((a, i) => {
    columns.push(`(SELECT count(*) FILTER (WHERE v${i} IS NULL) FROM levels_input) AS missing_${i}`);
    if (a.kind === 'numeric') {
      ctes.push(...decileEdgeCtes('levels_input', `v${i}`, String(i)));
      columns.push(edgeListSql(String(i)));
    } else {
      columns.push(`(SELECT list(v ORDER BY c DESC, v) FROM (SELECT v${i} AS v, count(*) AS c FROM levels_input WHERE v${i} IS NOT NULL GROUP BY 1 ORDER BY c DESC, v LIMIT ${limit}) AS cats) AS categories_${i}`);
    }
  });
  const row = await readRow(conn, `WITH ${ctes.join(',\n  ')}\nSELECT ${columns.join(', ')}`);
  const out: AttributeLevel[] = [];
  attributes.forEach((a, i) => {
    if (a.kind === 'numeric') {
      const edges = distinctEdges(toNumberList(row[`edges_${i}`]));
      if (edges.length > 0) for (let bin = 0; bin <= edges.length; bin++) out.push({ attribute: a.name, kind: a.kind, predicates: [binPredicate(a.name, edges, bin)] });
    } else {
      const cats = (row[`categories_${i}`] ?? []) as unknown[];
      for (const c of cats) out.push({ attribute: a.name, kind: a.kind, predicates: [{ feature: a.name, op: '==', value: String(c) }] });
    }
    const missing = toNumber(row[`missing_${i}`]);
    if (missing > 0) out.push({ attribute: a.name, kind: a.kind, predicates: [{ feature: a.name, op: 'is_null', value: null }] });
  });
  return out;
}
