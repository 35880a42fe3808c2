/**
 * The pure steps from DuckDB's counts to a skew entry, against scipy. Each expected value was
 * computed with /usr/bin/python3 (numpy 1.24.2, scipy 1.10.1) from the same counts t, s:
 *   p, q = t / t.sum(), s / s.sum()
 *   js   = scipy.spatial.distance.jensenshannon(p, q, base=2)
 *   linf = np.max(np.abs(p - q))
 *   p_value = scipy.stats.chi2_contingency([t[keep], s[keep]], correction=False)[1], keep = t + s > 0
 */
import { describe, expect, test } from 'vitest';
import { distributionEntry } from '../../../daemon/analysis/skew/distribution.js';
import { rowEntry } from '../../../daemon/analysis/skew/row-comparison.js';
import { jsonPointer } from '../../../daemon/analysis/skew/replay-sql.js';
import { DEFAULT_SKEW_THRESHOLDS } from '../../../daemon/analysis/skew/verdict.js';

const SCIPY = [
  { t: [120, 80, 0, 300], s: [100, 100, 50, 250], js: 0.23707181694976634, linf: 0.1, p: 1.178448945364709e-12 },
  { t: [1000, 1000, 1000], s: [990, 1010, 1000], js: 0.0034673922974875287, linf: 0.003333333333333355, p: 0.9512282354349499 },
  { t: [5, 3, 2], s: [0, 1, 9], js: 0.67935501433838, linf: 0.7, p: 0.005368145754129632 },
  // The sample's bug in miniature: the whole served sample in one bin. scipy's p underflows to 0.
  { t: [900, 100], s: [0, 1500], js: 0.8707908228691708, linf: 0.9, p: 0 },
];

function close(actual: number | null | undefined, expected: number, tolerance = 1e-12): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));
}

describe('distributionEntry = scipy on the bin counts', () => {
  test.each(SCIPY)('t=$t s=$s', ({ t, s, js, linf, p }) => {
    const binned = { rows_training: t.reduce((a, b) => a + b, 0) + 7, rows_serving: s.reduce((a, b) => a + b, 0), training: t, serving: s };
    const numeric = distributionEntry('x', 'numeric', binned, DEFAULT_SKEW_THRESHOLDS);
    close(numeric.metrics.js, js);
    expect(numeric.metric).toBe('js');
    expect(numeric.score).toBe(numeric.metrics.js);
    expect(numeric.metrics.linf).toBeUndefined();
    if (p === 0) expect(numeric.metrics.p_value!).toBeLessThan(1e-300);
    else close(numeric.metrics.p_value, p, 1e-9);
    // 7 extra training rows without a value: the missing share.
    close(numeric.missing_training, 7 / binned.rows_training);
    expect(numeric.missing_serving).toBe(0);
    const categorical = distributionEntry('x', 'categorical', binned, DEFAULT_SKEW_THRESHOLDS);
    expect(categorical.metric).toBe('linf');
    close(categorical.score, linf);
    close(categorical.metrics.linf, linf);
  });

  test('small samples: [5,3,2] vs [0,1,9] has JS 0.68 and p 0.0054 < 0.05, so it is skew; with p above 0.05 it would not be', () => {
    const e = distributionEntry('x', 'numeric', { rows_training: 10, rows_serving: 10, training: [5, 3, 2], serving: [0, 1, 9] }, DEFAULT_SKEW_THRESHOLDS);
    expect(e.skew).toBe(true);
    const weak = distributionEntry('x', 'numeric', { rows_training: 4, rows_serving: 4, training: [2, 2], serving: [1, 3] }, DEFAULT_SKEW_THRESHOLDS);
    expect(weak.metrics.js!).toBeGreaterThan(0.1);
    expect(weak.skew).toBe(false);
  });

  test('an empty side: no metrics, no skew', () => {
    const e = distributionEntry('x', 'numeric', { rows_training: 5, rows_serving: 3, training: [0], serving: [0] }, DEFAULT_SKEW_THRESHOLDS);
    expect(e).toMatchObject({ skew: false, score: 0, n_training: 0, n_serving: 0, missing_training: 1, missing_serving: 1, metrics: { js: null, p_value: null } });
  });
});

describe('rowEntry', () => {
  const agg = { mismatches: 3, missing_training: 1, missing_serving: 2, mean_abs_diff: 0.5, max_abs_diff: 2, examples: [{ key: 'k1', training: 1, serving: 3 }] };
  test('rates over the joined rows; numeric keeps the differences, categorical drops them', () => {
    const numeric = rowEntry({ name: 'x', kind: 'numeric' }, 'replay', agg, 1000, DEFAULT_SKEW_THRESHOLDS);
    expect(numeric).toEqual({
      name: 'x', mode: 'replay', kind: 'numeric', skew: true, score: 0.003, metric: 'mismatch_rate', threshold: 0.001,
      mismatch_rate: 0.003, examples: agg.examples, compared: 1000, mismatches: 3, mean_abs_diff: 0.5, max_abs_diff: 2,
      missing_training: 0.001, missing_serving: 0.002,
    });
    const categorical = rowEntry({ name: 'c', kind: 'categorical' }, 'rows', { ...agg, mismatches: 0 }, 1000, DEFAULT_SKEW_THRESHOLDS);
    expect(categorical.skew).toBe(false);
    expect(categorical).not.toHaveProperty('mean_abs_diff');
  });
});

describe('jsonPointer (RFC 6901)', () => {
  test.each([
    ['flight_id', '/flight_id'],
    ['a/b', '/a~1b'],
    ['m~n', '/m~0n'],
    ['~/', '/~0~1'],
    ['', '/'],
    ['a.b[0] $x', '/a.b[0] $x'],
  ])('%j → %j', (member, pointer) => {
    expect(jsonPointer(member)).toBe(pointer);
  });
});
