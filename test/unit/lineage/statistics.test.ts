/**
 * Review statistics against scipy. The constants below were computed with Debian's Python:
 *   /usr/bin/python3 test/fixtures/gen/lineage_reference.py      (scipy 1.10.1)
 * fisher: scipy.stats.fisher_exact([[a, b], [c, d]]).pvalue (two-sided); lor: ln((a+.5)(d+.5)/((b+.5)(c+.5)));
 * bh: Benjamini–Hochberg written out with numpy in that script.
 */
import { describe, expect, test } from 'vitest';
import { benjaminiHochberg, differenceInProportions, fisherExact, logOddsRatio } from '../../../daemon/lineage/statistics';

const FISHER: [number, number, number, number, number][] = [
  [6, 2, 1, 4, 0.10256410256410256], // scipy's documentation example
  [8, 2, 1, 5, 0.034965034965034975], // whales and sharks
  [40, 10, 60, 890, 1.3499501151285123e-34],
  [10, 40, 890, 60, 1.3499501151285123e-34],
  [3, 0, 0, 5, 0.017857142857142856],
  [0, 5, 5, 0, 0.007936507936507938],
  [1, 1, 1, 1, 1.0],
  [5, 5, 50, 50, 1.0],
  [2, 7, 12, 3, 0.010372434807082807],
  [12, 3, 2, 7, 0.01037243480708281],
  [50, 50, 950, 8950, 2.392900236235044e-24],
  [400, 100, 6000, 93500, 0.0], // below double precision: scipy underflows to 0 too
  [1200, 800, 480000, 517000, 3.017063806730806e-26],
  [7, 0, 993, 1000, 0.015461266199607457],
  [0, 20, 30, 950, 1.0],
];

const LOR: [number, number, number, number, number][] = [
  [6, 2, 1, 4, 2.0541237336955462],
  [8, 2, 1, 5, 2.5230584157523768],
  [40, 10, 60, 890, 4.039066454641937],
  [10, 40, 890, 60, -4.039066454641937],
];

const BH_P = [0.01, 0.04, 0.03, 0.005, 0.5, 0.04, 1.0, 0.2];
const BH_Q = [0.04, 0.064, 0.064, 0.04, 0.5714285714285714, 0.064, 1.0, 0.26666666666666666];

describe('fisherExact = scipy.stats.fisher_exact (two-sided)', () => {
  test.each(FISHER)('[[%i, %i], [%i, %i]] → p = %s', (a, b, c, d, expected) => {
    const p = fisherExact(a, b, c, d);
    // Relative 1e-8 (lgamma differences at a million rows cost a few digits), absolute below 1e-300.
    expect(Math.abs(p - expected), `${p} vs ${expected}`).toBeLessThanOrEqual(Math.max(1e-8 * expected, 1e-300));
  });

  test('symmetric in swapping rows and in swapping columns', () => {
    expect(fisherExact(2, 7, 12, 3)).toBeCloseTo(fisherExact(12, 3, 2, 7), 14);
    expect(fisherExact(2, 7, 12, 3)).toBeCloseTo(fisherExact(7, 2, 3, 12), 14);
  });

  test('an empty row or column gives 1; negative or fractional cells are refused', () => {
    expect(fisherExact(0, 0, 3, 4)).toBe(1);
    expect(fisherExact(3, 0, 4, 0)).toBe(1);
    expect(() => fisherExact(-1, 2, 3, 4)).toThrow(RangeError);
    expect(() => fisherExact(1.5, 2, 3, 4)).toThrow(RangeError);
  });
});

describe('effect sizes', () => {
  test.each(LOR)('log odds ratio of [[%i, %i], [%i, %i]] = %s (0.5 added to each cell)', (a, b, c, d, expected) => {
    expect(logOddsRatio(a, b, c, d)).toBeCloseTo(expected, 12);
  });

  test('log odds ratio is 0 when a margin is empty (a node in every trace, or in none)', () => {
    expect(logOddsRatio(27, 0, 93, 0)).toBe(0);
    expect(logOddsRatio(0, 27, 0, 93)).toBe(0);
    expect(logOddsRatio(0, 0, 5, 7)).toBe(0);
  });

  test('difference in proportions: share of flagged minus share of unflagged traces', () => {
    expect(differenceInProportions(40, 10, 60, 890)).toBeCloseTo(40 / 50 - 60 / 950, 15);
    expect(differenceInProportions(0, 0, 5, 5)).toBe(-0.5);
  });
});

describe('benjaminiHochberg', () => {
  test('matches the step-up adjustment (numpy reference)', () => {
    const q = benjaminiHochberg(BH_P);
    q.forEach((v, i) => expect(v).toBeCloseTo(BH_Q[i]!, 14));
  });

  test('empty input, and q ≥ p always', () => {
    expect(benjaminiHochberg([])).toEqual([]);
    const p = [0.3, 0.001, 0.02, 0.9];
    benjaminiHochberg(p).forEach((q, i) => expect(q).toBeGreaterThanOrEqual(p[i]!));
  });
});
