import { describe, expect, test } from 'vitest';
import { decideDrift, DEFAULT_THRESHOLDS, severity } from '../../../daemon/analysis/verdict.js';
import { missingRate } from '../../../daemon/analysis/drift.js';

const large = { n: 5000, m: 4000 };

describe('decideDrift', () => {
  test('numeric: wasserstein_norm ≥ 0.1 drifts', () => {
    const v = decideDrift({ kind: 'numeric', ...large, effects: { wasserstein_norm: 0.1, psi: 0.05 }, pValue: 0.3 });
    expect(v).toEqual({ drift: true, score: 0.1, method: 'wasserstein_norm', threshold: 0.1 });
  });

  test('numeric: psi ≥ 0.2 drifts even with a small wasserstein_norm', () => {
    const v = decideDrift({ kind: 'numeric', ...large, effects: { wasserstein_norm: 0.02, psi: 0.25 }, pValue: 0.3 });
    expect(v).toEqual({ drift: true, score: 0.25, method: 'psi', threshold: 0.2 });
  });

  test('numeric: both rules fire, the one further past its line decides', () => {
    const v = decideDrift({ kind: 'numeric', ...large, effects: { wasserstein_norm: 0.15, psi: 0.8 }, pValue: 0 });
    expect(v.method).toBe('psi');
    expect(v.score).toBe(0.8);
  });

  test('no rule fires: no drift, score of the rule closest to its line', () => {
    const v = decideDrift({ kind: 'numeric', ...large, effects: { wasserstein_norm: 0.05, psi: 0.02 }, pValue: 1e-20 });
    expect(v).toEqual({ drift: false, score: 0.05, method: 'wasserstein_norm', threshold: 0.1 });
  });

  test('categorical: js ≥ 0.1 drifts; below does not', () => {
    expect(decideDrift({ kind: 'categorical', ...large, effects: { js: 0.1 }, pValue: 0.9 }).drift).toBe(true);
    expect(decideDrift({ kind: 'categorical', ...large, effects: { js: 0.0999 }, pValue: 0 }).drift).toBe(false);
  });

  test('+∞ wasserstein_norm drifts with score +∞', () => {
    const v = decideDrift({ kind: 'numeric', ...large, effects: { wasserstein_norm: Infinity, psi: 0 }, pValue: 0 });
    expect(v).toEqual({ drift: true, score: Infinity, method: 'wasserstein_norm', threshold: 0.1 });
  });

  test('thresholds are configurable', () => {
    const v = decideDrift(
      { kind: 'categorical', ...large, effects: { js: 0.05 }, pValue: 0 },
      { ...DEFAULT_THRESHOLDS, js: 0.04 },
    );
    expect(v).toEqual({ drift: true, score: 0.05, method: 'js', threshold: 0.04 });
  });

  test('up to 1000 values on a side, the test must also be significant', () => {
    const effects = { wasserstein_norm: 0.3, psi: 0.5 };
    expect(decideDrift({ kind: 'numeric', n: 1000, m: 5000, effects, pValue: 0.2 }).drift).toBe(false);
    expect(decideDrift({ kind: 'numeric', n: 1000, m: 5000, effects, pValue: 0.01 }).drift).toBe(true);
    expect(decideDrift({ kind: 'numeric', n: 1001, m: 1001, effects, pValue: 0.2 }).drift).toBe(true);
    expect(
      decideDrift({ kind: 'numeric', n: 50, m: 50, effects, pValue: 0.2 }, DEFAULT_THRESHOLDS, { largeSample: 10, alpha: 0.05 }).drift,
    ).toBe(true);
  });

  test('undefined metrics (an empty side): no drift, score 0', () => {
    expect(decideDrift({ kind: 'numeric', n: 10, m: 0, effects: null, pValue: null })).toEqual({
      drift: false,
      score: 0,
      method: 'wasserstein_norm',
      threshold: 0.1,
    });
  });
});

describe('helpers', () => {
  test('severity is value / threshold', () => {
    expect(severity(0.3, 0.1)).toBeCloseTo(3, 15);
    expect(severity(0, 0)).toBe(0);
    expect(severity(0.1, 0)).toBe(Infinity);
  });

  test('missingRate', () => {
    expect(missingRate(10, 7)).toBeCloseTo(0.3, 15);
    expect(missingRate(0, 0)).toBe(0);
  });
});
