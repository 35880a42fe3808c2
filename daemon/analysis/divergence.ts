/**
 * Distances between two binned distributions: reference proportions p and current
 * proportions q over the same bins (deciles of the reference, or categories of R ∪ C).
 */

/** Proportions below this count as this much in PSI, so an empty bin costs a finite amount. */
export const PSI_FLOOR = 1e-4;

/**
 * Population Stability Index: Σ_i (q_i − p_i) · ln(q_i / p_i), each proportion floored at
 * 1e-4 first (no renormalisation afterwards).
 */
export function populationStabilityIndex(p: readonly number[], q: readonly number[]): number {
  assertSameLength(p, q);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = Math.max(p[i] ?? 0, PSI_FLOOR);
    const qi = Math.max(q[i] ?? 0, PSI_FLOOR);
    sum += (qi - pi) * Math.log(qi / pi);
  }
  return sum;
}

/**
 * Jensen–Shannon distance in base 2 (no floor), in [0, 1], exactly as
 * `scipy.spatial.distance.jensenshannon(p, q, base=2)`:
 *
 *   p ← p/Σp, q ← q/Σq, m = (p+q)/2,
 *   JSD = sqrt( (Σ rel_entr(p, m) + Σ rel_entr(q, m)) / ln 2 / 2 ),
 *
 * with rel_entr(x, y) = x·ln(x/y) for x > 0 and 0 for x = 0.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  assertSameLength(p, q);
  const sumP = p.reduce((s, x) => s + x, 0);
  const sumQ = q.reduce((s, x) => s + x, 0);
  if (!(sumP > 0) || !(sumQ > 0)) throw new Error('jensenShannonDistance needs non-empty distributions');
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] ?? 0) / sumP;
    const qi = (q[i] ?? 0) / sumQ;
    const mi = (pi + qi) / 2;
    left += relativeEntropyTerm(pi, mi);
    right += relativeEntropyTerm(qi, mi);
  }
  // Rounding can leave the sum a hair outside [0, 2 ln 2]; the distance lies in [0, 1].
  return Math.min(1, Math.sqrt(Math.max(0, (left + right) / Math.LN2 / 2)));
}

/** L∞ distance: max_i |p_i − q_i| (0 for no bins). */
export function linfDistance(p: readonly number[], q: readonly number[]): number {
  assertSameLength(p, q);
  let max = 0;
  for (let i = 0; i < p.length; i++) max = Math.max(max, Math.abs((p[i] ?? 0) - (q[i] ?? 0)));
  return max;
}

/** Counts → proportions of their total (the total of a non-empty sample). */
export function proportions(counts: readonly number[], total: number): number[] {
  if (!(total > 0)) throw new Error('proportions need a positive total');
  return counts.map((c) => c / total);
}

function relativeEntropyTerm(x: number, y: number): number {
  return x > 0 ? x * Math.log(x / y) : 0;
}

function assertSameLength(p: readonly number[], q: readonly number[]): void {
  if (p.length !== q.length) throw new Error(`bin counts differ: ${p.length} vs ${q.length}`);
}
