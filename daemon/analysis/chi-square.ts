/**
 * Chi-square tail probabilities and Pearson's test of homogeneity on a 2×K table.
 */
import gammainc from '@stdlib/math-base-special-gammainc';

/**
 * P(X > x) for X ~ χ²(dof): the regularised upper incomplete gamma Q(dof/2, x/2)
 * (as `scipy.stats.chi2.sf`). Computed as the upper tail directly, not 1 − CDF, so tiny
 * p-values keep their precision.
 */
export function chiSquareSurvival(x: number, dof: number): number {
  if (Number.isNaN(x) || !(dof > 0)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return gammainc(x / 2, dof / 2, true, true);
}

export interface ChiSquareTest {
  statistic: number;
  dof: number;
  p_value: number;
}

/**
 * Pearson's χ² test of homogeneity of two samples over K categories, without continuity
 * correction (as `scipy.stats.chi2_contingency([reference, current], correction=False)`):
 *
 *   E_ij = row_i · col_j / N,   χ² = Σ_ij (O_ij − E_ij)² / E_ij,   dof = K − 1,
 *   p = P(χ²(dof) > statistic).
 *
 * Categories with a zero count in both rows are dropped first: scipy raises on them (a zero
 * expected frequency) although they carry no information. With one category left the table
 * has dof 0 and, like scipy, we return statistic 0 and p-value 1. Returns null when a row is
 * all zeros (an empty sample), where the test is undefined.
 */
export function chiSquareHomogeneity(
  reference: readonly number[],
  current: readonly number[],
): ChiSquareTest | null {
  if (reference.length !== current.length) {
    throw new Error('chiSquareHomogeneity needs two count vectors of equal length');
  }
  const columns: Array<[number, number]> = [];
  for (let j = 0; j < reference.length; j++) {
    const a = reference[j] ?? 0;
    const b = current[j] ?? 0;
    if (a !== 0 || b !== 0) columns.push([a, b]);
  }
  const rowR = columns.reduce((s, [a]) => s + a, 0);
  const rowC = columns.reduce((s, [, b]) => s + b, 0);
  if (rowR === 0 || rowC === 0) return null;
  const dof = columns.length - 1;
  if (dof === 0) return { statistic: 0, dof: 0, p_value: 1 };
  const total = rowR + rowC;
  let statistic = 0;
  for (const [a, b] of columns) {
    const col = a + b;
    const expectedR = (rowR * col) / total;
    const expectedC = (rowC * col) / total;
    statistic += (a - expectedR) ** 2 / expectedR + (b - expectedC) ** 2 / expectedC;
  }
  return { statistic, dof, p_value: chiSquareSurvival(statistic, dof) };
}
