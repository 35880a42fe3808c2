/**
 * The pure formula functions against scipy (test/fixtures/stats/formula-cases.json, generated
 * by test/fixtures/gen/formula_reference.py). Values and p-values must agree to 1e-9 relative
 * (absolute for values below 1e-300, where double precision runs out).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { chiSquareHomogeneity, chiSquareSurvival } from '../../../daemon/analysis/chi-square.js';
import {
  jensenShannonDistance,
  linfDistance,
  populationStabilityIndex,
} from '../../../daemon/analysis/divergence.js';
import { kolmogorovSurvival, ksPValue } from '../../../daemon/analysis/kolmogorov.js';

interface Fixture {
  kolmogorov: Array<{ lambda: number; sf: number }>;
  ks: Array<{ statistic: number; n: number; m: number; p_value: number }>;
  chi2: Array<{ x: number; dof: number; sf: number }>;
  homogeneity: Array<{ reference: number[]; current: number[]; statistic: number; dof: number; p_value: number }>;
  distances: Array<{ p: number[]; q: number[]; psi: number; js: number; linf: number }>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/formula-cases.json', import.meta.url), 'utf8'),
) as Fixture;

function expectRelativelyClose(actual: number, expected: number, label: string): void {
  const scale = Math.abs(expected) > 1e-300 ? Math.abs(expected) : 1;
  // Values below 1 are compared relatively too, but never tighter than 1e-18 absolute.
  expect(Math.abs(actual - expected), `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    Math.max(1e-9 * scale, 1e-18),
  );
}

describe('kolmogorovSurvival = scipy.stats.kstwobign.sf', () => {
  test.each(fixture.kolmogorov)('Q($lambda) = $sf', ({ lambda, sf }) => {
    expectRelativelyClose(kolmogorovSurvival(lambda), sf, `Q(${lambda})`);
  });

  test('is a survival function: 1 at 0, decreasing, 0 far out', () => {
    expect(kolmogorovSurvival(0)).toBe(1);
    expect(kolmogorovSurvival(-1)).toBe(1);
    expect(kolmogorovSurvival(40)).toBe(0);
    let previous = 1;
    for (let x = 0.05; x < 4; x += 0.01) {
      const value = kolmogorovSurvival(x);
      expect(value).toBeLessThanOrEqual(previous);
      previous = value;
    }
    expect(Number.isNaN(kolmogorovSurvival(NaN))).toBe(true);
  });
});

describe('ksPValue = kstwobign.sf(sqrt(n·m/(n+m))·D)', () => {
  test.each(fixture.ks)('D=$statistic n=$n m=$m', ({ statistic, n, m, p_value }) => {
    expectRelativelyClose(ksPValue(statistic, n, m), p_value, 'ks p');
  });

  test('needs two non-empty samples', () => {
    expect(() => ksPValue(0.1, 0, 5)).toThrow();
  });
});

describe('chiSquareSurvival = scipy.stats.chi2.sf', () => {
  test.each(fixture.chi2)('χ²($dof) > $x', ({ x, dof, sf }) => {
    expectRelativelyClose(chiSquareSurvival(x, dof), sf, `chi2.sf(${x}, ${dof})`);
  });

  test('edges', () => {
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(Infinity, 3)).toBe(0);
    expect(Number.isNaN(chiSquareSurvival(1, 0))).toBe(true);
  });
});

describe('chiSquareHomogeneity = scipy.stats.chi2_contingency(correction=False)', () => {
  test.each(fixture.homogeneity)('$reference vs $current', ({ reference, current, statistic, dof, p_value }) => {
    const result = chiSquareHomogeneity(reference, current);
    expect(result).not.toBeNull();
    expect(result?.dof).toBe(dof);
    expectRelativelyClose(result?.statistic ?? NaN, statistic, 'statistic');
    expectRelativelyClose(result?.p_value ?? NaN, p_value, 'p-value');
  });

  test('one category left: dof 0, statistic 0, p 1 (as scipy)', () => {
    expect(chiSquareHomogeneity([5, 0], [3, 0])).toEqual({ statistic: 0, dof: 0, p_value: 1 });
  });

  test('an empty sample makes the test undefined', () => {
    expect(chiSquareHomogeneity([1, 2], [0, 0])).toBeNull();
    expect(chiSquareHomogeneity([], [])).toBeNull();
  });

  test('count vectors must align', () => {
    expect(() => chiSquareHomogeneity([1, 2], [1])).toThrow();
  });
});

describe('PSI, Jensen–Shannon distance and L∞ against numpy/scipy', () => {
  test.each(fixture.distances)('p=$p q=$q', ({ p, q, psi, js, linf }) => {
    expectRelativelyClose(populationStabilityIndex(p, q), psi, 'psi');
    expectRelativelyClose(jensenShannonDistance(p, q), js, 'js');
    expectRelativelyClose(linfDistance(p, q), linf, 'linf');
  });

  test('Jensen–Shannon distance is 0 for equal and 1 for disjoint distributions', () => {
    expect(jensenShannonDistance([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(jensenShannonDistance([1, 0, 0], [0, 0.5, 0.5])).toBe(1);
  });

  test('PSI floors empty bins at 1e-4 instead of dividing by zero', () => {
    const expected = (1 - 1e-4) * Math.log(1 / 1e-4) * 2;
    expect(populationStabilityIndex([1, 0], [0, 1])).toBeCloseTo(expected, 12);
  });

  test('bins must align', () => {
    expect(() => populationStabilityIndex([1], [0.5, 0.5])).toThrow();
    expect(() => jensenShannonDistance([1], [0.5, 0.5])).toThrow();
    expect(() => linfDistance([1], [0.5, 0.5])).toThrow();
  });
});

describe('categoricalMetrics', () => {
  test('all four metrics from aligned per-category counts', async () => {
    const { categoricalMetrics } = await import('../../../daemon/analysis/categorical-drift.js');
    const metrics = categoricalMetrics([10, 20, 30], [15, 15, 30]);
    const row = fixture.homogeneity[0];
    expect(metrics?.chi2.statistic).toBeCloseTo(row?.statistic ?? NaN, 12);
    expect(metrics?.linf).toBeCloseTo(Math.abs(20 / 60 - 15 / 60), 15);
    expect(metrics?.js).toBeGreaterThan(0);
    expect(metrics?.psi).toBeGreaterThan(0);
    expect(categoricalMetrics([1, 2], [0, 0])).toBeNull();
  });
});
