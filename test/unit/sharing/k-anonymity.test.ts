import { describe, expect, it } from 'vitest';
import { classSizeSql, formatKAnonymity, kAnonymityReport, type ClassSizeCount } from '../../../daemon/sharing/k-anonymity';

/** Class-size histogram of rows by their quasi-identifier tuple, the way the SQL computes it. */
function histogram(rows: unknown[][]): ClassSizeCount[] {
  const classes = new Map<string, number>();
  for (const r of rows) classes.set(JSON.stringify(r), (classes.get(JSON.stringify(r)) ?? 0) + 1);
  const bySize = new Map<number, number>();
  for (const n of classes.values()) bySize.set(n, (bySize.get(n) ?? 0) + 1);
  return [...bySize].map(([size, c]) => ({ size, classes: c }));
}

describe('k-anonymity report', () => {
  it('counts classes, the smallest class, and rows in classes smaller than k', () => {
    // ORD/young ×3, ORD/old ×1, ATL/young ×2, ATL/old ×6, LAX/null ×1
    const rows = [
      ...Array(3).fill(['ORD', 'young']), ['ORD', 'old'], ...Array(2).fill(['ATL', 'young']), ...Array(6).fill(['ATL', 'old']), ['LAX', null],
    ];
    const r = kAnonymityReport(histogram(rows), { quasiIdentifiers: ['origin', 'age_band'], k: 3, enforced: true });
    expect(r).toEqual({
      quasi_identifiers: ['origin', 'age_band'], ignored: [], k: 3, rows: 13, classes: 5, smallest_class: 1,
      classes_below_k: 3, rows_below_k: 4, share_below_k: 4 / 13, satisfied: false, enforced: true,
    });
  });

  it('agrees with a direct count on random data for every k', () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const rows = Array.from({ length: 2000 }, () => [rand(5), rand(7), rand(3) === 0 ? null : rand(4)]);
    const h = histogram(rows);
    const classes = new Map<string, number>();
    for (const r of rows) classes.set(JSON.stringify(r), (classes.get(JSON.stringify(r)) ?? 0) + 1);
    for (const k of [1, 2, 5, 10, 50]) {
      const sizes = [...classes.values()];
      const r = kAnonymityReport(h, { quasiIdentifiers: ['a', 'b', 'c'], k, enforced: false });
      expect(r.rows).toBe(2000);
      expect(r.classes).toBe(sizes.length);
      expect(r.smallest_class).toBe(Math.min(...sizes));
      expect(r.classes_below_k).toBe(sizes.filter((s) => s < k).length);
      expect(r.rows_below_k).toBe(sizes.filter((s) => s < k).reduce((a, b) => a + b, 0));
      expect(r.satisfied).toBe(sizes.every((s) => s >= k));
    }
  });

  it('handles no rows and k = 1', () => {
    expect(kAnonymityReport([], { quasiIdentifiers: ['a'], k: 5, enforced: true })).toMatchObject({ rows: 0, classes: 0, smallest_class: null, satisfied: true, share_below_k: 0 });
    expect(kAnonymityReport([{ size: 1, classes: 10 }], { quasiIdentifiers: ['a'], k: 1, enforced: true }).satisfied).toBe(true);
  });

  it('formats the report with the way out when below k', () => {
    const r = kAnonymityReport([{ size: 1, classes: 2 }, { size: 8, classes: 3 }], { quasiIdentifiers: ['origin', 'dep_hour'], k: 5, enforced: true, ignored: [{ name: 'email', reason: 'dropped by --redact, not in the export' }] });
    const text = formatKAnonymity(r);
    expect(text).toContain('k-anonymity on quasi-identifiers origin, dep_hour (k = 5, enforced), over 26 rows:');
    expect(text).toContain('email: not counted (dropped by --redact, not in the export)');
    expect(text).toContain('5 equivalence classes; the smallest has 1 row(s)');
    expect(text).toContain('2 class(es) smaller than 5, holding 2 row(s) (7.7% of rows)');
    expect(text).toContain('--allow-below-k');
  });

  it('builds the class-size SQL over quasi-identifier expressions', () => {
    const sql = classSizeSql('(SELECT * FROM predictions) p', ['p."f_1"', 'p.join_key']);
    expect(sql).toContain('GROUP BY q0, q1');
    expect(sql).toContain('p."f_1" AS q0');
    expect(classSizeSql('t', [])).not.toContain('GROUP BY q');
  });
});
