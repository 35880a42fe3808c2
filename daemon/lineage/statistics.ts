/**
 * The statistics of `sightline review` on a 2×2 table
 *
 *                      holds the node   does not
 *   flagged                  a              b
 *   unflagged                c              d
 *
 * Fisher's exact test (two-sided, as `scipy.stats.fisher_exact`), the difference in proportions
 * a/(a+b) − c/(c+d), the log odds ratio with 0.5 added to every cell, and Benjamini–Hochberg
 * adjusted p-values. Pure functions, no I/O.
 */
import gammaln from '@stdlib/math-base-special-gammaln';

/** ln C(n, k). */
function lchoose(n: number, k: number): number {
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

interface Hypergeometric {
  lo: number;
  hi: number;
  logPmf: (x: number) => number;
  /** ln pmf(x + 1) − ln pmf(x). */
  logRatioUp: (x: number) => number;
}

/** X ~ Hypergeometric(population N, K successes, n draws): the count in the top-left cell. */
function hypergeometric(N: number, K: number, n: number): Hypergeometric {
  const norm = lchoose(N, n);
  return {
    lo: Math.max(0, n - (N - K)),
    hi: Math.min(n, K),
    logPmf: (x) => lchoose(K, x) + lchoose(N - K, n - x) - norm,
    logRatioUp: (x) => Math.log(K - x) + Math.log(n - x) - Math.log(x + 1) - Math.log(N - K - n + x + 1),
  };
}

/**
 * Σ pmf(x) from `from` outward (step +1 up to `hi`, or −1 down to `lo`), where pmf decreases
 * outward; stops once the terms no longer change the sum in double precision.
 */
function tailSum(h: Hypergeometric, from: number, step: 1 | -1): number {
  const end = step === 1 ? h.hi : h.lo;
  const logStart = h.logPmf(from);
  let sum = 1;
  let logTerm = 0;
  for (let x = from; x !== end; x += step) {
    logTerm += step === 1 ? h.logRatioUp(x) : -h.logRatioUp(x - 1);
    const term = Math.exp(logTerm);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return Math.exp(logStart) * sum;
}

/**
 * Two-sided p-value of Fisher's exact test on [[a, b], [c, d]]: the probability, with all
 * margins fixed, of a table no more likely than the observed one (scipy's definition, with its
 * relative tolerance 1e-14). 1 when a row or column is empty.
 */
export function fisherExact(a: number, b: number, c: number, d: number): number {
  for (const v of [a, b, c, d]) if (!Number.isInteger(v) || v < 0) throw new RangeError(`table cells must be non-negative integers, got ${v}`);
  if (a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0) return 1;
  const N = a + b + c + d;
  const K = a + b; // row 1 total (scipy: n1)
  const n = a + c; // column 1 total (scipy: n)
  const h = hypergeometric(N, K, n);
  const mode = Math.floor(((n + 1) * (K + 1)) / (N + 2));
  const logExact = h.logPmf(a);
  const logMode = h.logPmf(mode);
  const epsilon = 1e-14;
  if (Math.abs(Math.exp(logExact - logMode) - 1) <= epsilon) return 1;
  const threshold = logExact + Math.log1p(epsilon);
  let p: number;
  if (a < mode) {
    // Lower tail: every x ≤ a. Upper tail: from the first x above the mode with pmf ≤ pmf(a).
    const lower = tailSum(h, a, -1);
    const first = firstAtOrBelow(h, threshold, mode, h.hi, 1);
    p = lower + (first === null ? 0 : tailSum(h, first, 1));
  } else {
    const upper = tailSum(h, a, 1);
    const first = firstAtOrBelow(h, threshold, h.lo, mode, -1);
    p = upper + (first === null ? 0 : tailSum(h, first, -1));
  }
  return Math.min(1, p);
}

/**
 * On the monotone side [from, to] of the pmf (decreasing as x moves away from the mode in
 * direction `dir`), the x closest to the mode whose ln pmf ≤ threshold; null if none.
 */
function firstAtOrBelow(h: Hypergeometric, threshold: number, from: number, to: number, dir: 1 | -1): number | null {
  // dir = 1: search (mode, hi], pmf decreasing in x. dir = −1: search [lo, mode), pmf increasing in x.
  let lo = dir === 1 ? from + 1 : from;
  let hi = dir === 1 ? to : to - 1;
  if (lo > hi) return null;
  const edge = dir === 1 ? hi : lo;
  if (h.logPmf(edge) > threshold) return null;
  while (lo < hi) {
    if (dir === 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (h.logPmf(mid) <= threshold) hi = mid;
      else lo = mid + 1;
    } else {
      const mid = Math.ceil((lo + hi) / 2);
      if (h.logPmf(mid) <= threshold) lo = mid;
      else hi = mid - 1;
    }
  }
  return lo;
}

/**
 * ln of the odds ratio (a·d)/(b·c) with 0.5 added to each cell, finite for any counts; 0 when a
 * row or column is empty (a node in every trace, or in none, says nothing either way).
 */
export function logOddsRatio(a: number, b: number, c: number, d: number): number {
  if (a + b === 0 || c + d === 0 || a + c === 0 || b + d === 0) return 0;
  return Math.log(((a + 0.5) * (d + 0.5)) / ((b + 0.5) * (c + 0.5)));
}

/** a/(a+b) − c/(c+d): how much more often flagged traces hold the node than unflagged ones. */
export function differenceInProportions(a: number, b: number, c: number, d: number): number {
  const p1 = a + b > 0 ? a / (a + b) : 0;
  const p0 = c + d > 0 ? c / (c + d) : 0;
  return p1 - p0;
}

/** Benjamini–Hochberg adjusted p-values (q-values), in the input order. */
export function benjaminiHochberg(pValues: number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const q = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const { p, i } = order[rank - 1]!;
    running = Math.min(running, (p * m) / rank);
    q[i] = Math.min(1, running);
  }
  return q;
}
