import { describe, expect, test } from 'vitest';
import { binCounts, binIndexSql } from '../../../daemon/analysis/binning.js';
import { normalisedWasserstein } from '../../../daemon/analysis/numeric-drift.js';

/** Evaluates the binary-search SQL in JavaScript, to check it against a plain count. */
function evaluateBinIndex(v: number, edges: number[]): number {
  const js = binIndexSql('v')
    .replace(/CASE WHEN/g, '(')
    .replace(/ THEN /g, ' ? ')
    .replace(/ ELSE /g, ' : ')
    .replace(/ END/g, ')')
    .replace(/e(\d)/g, (_, k: string) => `edges[${Number(k) - 1}]`);
  return new Function('v', 'edges', `return ${js};`)(v, edges) as number;
}

describe('binIndexSql: number of edges strictly below the value', () => {
  const edgeSets = [
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
    [0, 0, 0, 0, 0, 0, 0, 1.5, 4],
    Array(9).fill(3.5),
    [1, 1, 2, 2, 2, 3, 5, 5, 8],
  ];
  test.each(edgeSets)('edges %j', (...edges: number[]) => {
    for (const v of [-1, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 7.5, 8, 8.5, 9, 10]) {
      expect(evaluateBinIndex(v, edges), `v=${v}`).toBe(edges.filter((e) => e < v).length);
    }
  });

  test('uses four comparisons per value, not nine', () => {
    expect(binIndexSql().match(/CASE WHEN/g)).toHaveLength(9);
    // Depth of the search tree: ⌈log2(10)⌉ = 4 nested CASEs on any path.
    expect(binIndexSql()).toContain('CASE WHEN v <= e5 THEN');
  });
});

describe('binCounts: bins (−∞, e1], (e1, e2], …, (e_last, ∞) over deduplicated edges', () => {
  const counts = (entries: Array<[number, number]>) => new Map(entries);

  test('distinct edges give ten bins', () => {
    const edges = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(binCounts(edges, counts([[0, 5], [3, 2], [9, 1]]))).toEqual([5, 0, 0, 2, 0, 0, 0, 0, 0, 1]);
  });

  test('bins between repeated edges are dropped', () => {
    // Deciles of a sample that is 70 % zeros: seven edges at 0.
    const edges = [0, 0, 0, 0, 0, 0, 0, 1.5, 4];
    expect(binCounts(edges, counts([[0, 70], [7, 10], [8, 10], [9, 10]]))).toEqual([70, 10, 10, 10]);
  });

  test('a constant sample has two bins: at or below the value, and above it', () => {
    expect(binCounts(Array(9).fill(3.5), counts([[0, 50]]))).toEqual([50, 0]);
  });

  test('a count between equal edges means the binning is broken', () => {
    expect(() => binCounts(Array(9).fill(1), counts([[3, 1]]))).toThrow();
  });

  test('nine edges expected', () => {
    expect(() => binCounts([1, 2], counts([]))).toThrow();
  });
});

describe('normalisedWasserstein: wasserstein / std(R)', () => {
  test('divides by the sample std', () => {
    expect(normalisedWasserstein(0.5, 2)).toBe(0.25);
  });

  test('a reference without spread: 0 when equal, +∞ otherwise', () => {
    expect(normalisedWasserstein(0, 0)).toBe(0);
    expect(normalisedWasserstein(0.1, 0)).toBe(Infinity);
    // One reference value: the sample std is undefined (NULL), treated like 0.
    expect(normalisedWasserstein(0, null)).toBe(0);
    expect(normalisedWasserstein(2, null)).toBe(Infinity);
  });
});
