import { describe, expect, test } from 'vitest';
import {
  decideDistributionSkew,
  decideRowSkew,
  DEFAULT_SKEW_THRESHOLDS,
  rankSkew,
  resolveThresholds,
} from '../../../daemon/analysis/skew/verdict.js';

describe('skew thresholds', () => {
  test('defaults per DESIGN: L∞ 0.1 (categorical), JS 0.1 (numeric); mismatch rate 0.1 %', () => {
    expect(DEFAULT_SKEW_THRESHOLDS).toEqual({ linf: 0.1, js: 0.1, mismatch_rate: 0.001 });
  });

  test('layers: defaults, then every feature, then the feature itself; undefined keeps the value below', () => {
    expect(resolveThresholds({ js: 0.2, linf: undefined }, { js: 0.3, mismatch_rate: 0.05 })).toEqual({ linf: 0.1, js: 0.3, mismatch_rate: 0.05 });
    expect(resolveThresholds(undefined, { linf: 0 })).toEqual({ linf: 0, js: 0.1, mismatch_rate: 0.001 });
  });
});

describe('decideDistributionSkew', () => {
  const t = DEFAULT_SKEW_THRESHOLDS;
  test('categorical decides by L∞, numeric by JS, at ≥ the threshold', () => {
    expect(decideDistributionSkew('categorical', { js: 0.5, linf: 0.1 }, { n: 2000, m: 2000, pValue: 0.5 }, t)).toEqual({ skew: true, score: 0.1, metric: 'linf', threshold: 0.1 });
    expect(decideDistributionSkew('categorical', { js: 0.5, linf: 0.09 }, { n: 2000, m: 2000, pValue: 0 }, t).skew).toBe(false);
    expect(decideDistributionSkew('numeric', { js: 0.1, linf: 0.9 }, { n: 2000, m: 2000, pValue: 0.5 }, t)).toEqual({ skew: true, score: 0.1, metric: 'js', threshold: 0.1 });
  });

  test('below 1001 values on a side, the χ² test must also reject at 5 %', () => {
    expect(decideDistributionSkew('numeric', { js: 0.3 }, { n: 40, m: 30, pValue: 0.63 }, t).skew).toBe(false);
    expect(decideDistributionSkew('numeric', { js: 0.3 }, { n: 40, m: 30, pValue: 0.01 }, t).skew).toBe(true);
    expect(decideDistributionSkew('numeric', { js: 0.3 }, { n: 1000, m: 5000, pValue: null }, t).skew).toBe(false);
    expect(decideDistributionSkew('numeric', { js: 0.3 }, { n: 1001, m: 1001, pValue: null }, t).skew).toBe(true);
  });

  test('a side without values never skews and scores 0', () => {
    expect(decideDistributionSkew('numeric', null, { n: 100, m: 0, pValue: null }, t)).toEqual({ skew: false, score: 0, metric: 'js', threshold: 0.1 });
  });
});

describe('decideRowSkew and rankSkew', () => {
  test('the mismatch rate decides alone', () => {
    expect(decideRowSkew(0.001, DEFAULT_SKEW_THRESHOLDS)).toEqual({ skew: true, score: 0.001, metric: 'mismatch_rate', threshold: 0.001 });
    expect(decideRowSkew(0.0009, DEFAULT_SKEW_THRESHOLDS).skew).toBe(false);
  });

  test('skewed first, then score / threshold, then name', () => {
    const entries = [
      { name: 'b', skew: false, score: 0.05, threshold: 0.1 },
      { name: 'a', skew: false, score: 0.05, threshold: 0.1 },
      { name: 'c', skew: true, score: 0.2, threshold: 0.1 },
      { name: 'd', skew: true, score: 0.02, threshold: 0.001 },
      { name: 'e', skew: false, score: 0.08, threshold: 0.1 },
      { name: 'f', skew: true, score: 0, threshold: 0 },
    ];
    const { features, skewed } = rankSkew(entries);
    expect(features.map((f) => f.name)).toEqual(['d', 'c', 'f', 'e', 'a', 'b']);
    expect(skewed).toEqual(['d', 'c', 'f']);
  });
});
