import type { KAnonymityReport } from '../../protocol';

/** How many equivalence classes have each size: the SQL side returns this compact histogram. */
export interface ClassSizeCount {
  size: number;
  classes: number;
}

/**
 * k-anonymity over declared quasi-identifiers: rows that share all their quasi-identifier values
 * form an equivalence class; the data is k-anonymous when every class has at least k rows.
 * Reports the smallest class and how many rows sit in classes smaller than k.
 */
export function kAnonymityReport(
  histogram: readonly ClassSizeCount[],
  opts: { quasiIdentifiers: string[]; k: number; enforced: boolean; ignored?: { name: string; reason: string }[] },
): KAnonymityReport {
  let rows = 0;
  let classes = 0;
  let smallest: number | null = null;
  let classesBelow = 0;
  let rowsBelow = 0;
  for (const { size, classes: n } of histogram) {
    if (n <= 0 || size <= 0) continue;
    rows += size * n;
    classes += n;
    smallest = smallest === null ? size : Math.min(smallest, size);
    if (size < opts.k) {
      classesBelow += n;
      rowsBelow += size * n;
    }
  }
  return {
    quasi_identifiers: opts.quasiIdentifiers,
    ignored: opts.ignored ?? [],
    k: opts.k,
    rows,
    classes,
    smallest_class: smallest,
    classes_below_k: classesBelow,
    rows_below_k: rowsBelow,
    share_below_k: rows === 0 ? 0 : rowsBelow / rows,
    satisfied: classesBelow === 0,
    enforced: opts.enforced,
  };
}

/** The class-size histogram of `relation` grouped by the given SQL expressions. */
export function classSizeSql(relation: string, expressions: string[]): string {
  const group = expressions.length ? `GROUP BY ${expressions.map((_, i) => `q${i}`).join(', ')}` : '';
  const select = expressions.length ? expressions.map((e, i) => `${e} AS q${i}`).join(', ') : '1 AS q';
  return `SELECT size::BIGINT AS size, count(*)::BIGINT AS classes
    FROM (SELECT count(*) AS size FROM (SELECT ${select} FROM ${relation}) ${group})
    WHERE size > 0 GROUP BY size ORDER BY size`;
}

export function formatKAnonymity(r: KAnonymityReport): string {
  const lines = [`k-anonymity on quasi-identifiers ${r.quasi_identifiers.join(', ')} (k = ${r.k}${r.enforced ? ', enforced' : ''}), over ${r.rows} rows:`];
  for (const i of r.ignored) lines.push(`  ${i.name}: not counted (${i.reason})`);
  lines.push(`  ${r.classes} equivalence classes; the smallest has ${r.smallest_class ?? 0} row(s)`);
  lines.push(`  ${r.classes_below_k} class(es) smaller than ${r.k}, holding ${r.rows_below_k} row(s) (${(r.share_below_k * 100).toFixed(1)}% of rows)`);
  lines.push(r.satisfied
    ? `  every class has at least ${r.k} rows: ${r.k}-anonymous`
    : `  NOT ${r.k}-anonymous: coarsen or drop a quasi-identifier (--redact COL=drop), export fewer columns, or accept the risk with --allow-below-k`);
  return lines.join('\n');
}
