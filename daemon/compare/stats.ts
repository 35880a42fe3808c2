/**
 * The tests of `sightline compare`, on per-group sufficient statistics — pure functions.
 * Group A is the current version, B the candidate; every difference is B − A.
 *
 * Rates (x successes of n):
 * - two-proportion z-test, pooled: p̄ = (x_a + x_b)/(n_a + n_b),
 *   z = (p_b − p_a)/√(p̄(1 − p̄)(1/n_a + 1/n_b)), p = 2·(1 − Φ(|z|));
 * - interval of p_b − p_a: Newcombe's hybrid score interval (method 10) from the Wilson intervals
 *   [l, u] of each group: [d − √((p_b − l_b)² + (u_a − p_a)²), d + √((u_b − p_b)² + (p_a − l_a)²)].
 * Means (n, mean, sample variance s²):
 * - Welch's t-test: t = (m_b − m_a)/√(s²_a/n_a + s²_b/n_b), Welch–Satterthwaite df,
 *   p = 2·F_t(−|t|; df) (as `scipy.stats.ttest_ind(b, a, equal_var=False)`);
 * - interval: (m_b − m_a) ± t_{0.975, df}·se (as scipy's `.confidence_interval()`).
 * Ordinal values:
 * - Mann–Whitney U of B against A with average ranks for ties, tie-corrected variance and
 *   continuity correction (as `scipy.stats.mannwhitneyu(b, a, method='asymptotic')`):
 *   U_b = R_b − n_b(n_b + 1)/2, μ = n_a n_b/2,
 *   σ = √(n_a n_b/12 · ((N + 1) − Σ(t³ − t)/(N(N − 1)))),
 *   z = (max(U_b, n_a n_b − U_b) − μ − ½)/σ, p = min(1, 2·(1 − Φ(z)));
 *   effect = U_b/(n_a n_b) = P(B > A) + ½P(B = A).
 * Power (smallest n per group for a two-sided test at α with power 1 − β to detect an absolute
 * difference δ; z_α = Φ⁻¹(1 − α/2), z_β = Φ⁻¹(power)):
 * - rates: n = (z_α√(2p̄(1 − p̄)) + z_β√(p₁(1 − p₁) + p₂(1 − p₂)))²/δ², p₁ = A's rate,
 *   p₂ = p₁ + δ (p₁ − δ when that leaves [0, 1]), p̄ = (p₁ + p₂)/2;
 * - means: n = (z_α + z_β)²(s²_a + s²_b)/δ²;
 * - ordinal: the means formula on the values, divided by the asymptotic relative efficiency of
 *   Mann–Whitney to the t-test under normality, 3/π.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { wilsonInterval, type Interval } from '../analysis/metrics/intervals';
import { welchTest, type GroupSummary } from '../analysis/slices/tests';

export function phi(x: number): number {
  return normalCdf(x, 0, 1);
}

export function zQuantile(p: number): number {
  return normalQuantile(p, 0, 1);
}

export interface TestResult {
  statistic: number | null;
  p_value: number | null;
  df?: number | null;
  difference: number | null;
  ci: Interval | null;
}

export function twoProportionTest(xa: number, na: number, xb: number, nb: number, alpha = 0.05): TestResult {
  if (!(na > 0) || !(nb > 0)) return { statistic: null, p_value: null, difference: null, ci: null };
  const pa = xa / na;
  const pb = xb / nb;
  const pooled = (xa + xb) / (na + nb);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
  const d = pb - pa;
  let z: number | null;
  let p: number | null;
  if (se === 0) {
    z = d === 0 ? null : d > 0 ? Infinity : -Infinity;
    p = d === 0 ? 1 : 0;
  } else {
    z = d / se;
    p = Math.min(1, 2 * (1 - phi(Math.abs(z))));
  }
  return { statistic: z !== null && Number.isFinite(z) ? z : null, p_value: p, difference: d, ci: newcombeInterval(xa, na, xb, nb, zQuantile(1 - alpha / 2)) };
}

/** Newcombe's hybrid score interval of p_b − p_a (see the module comment). */
export function newcombeInterval(xa: number, na: number, xb: number, nb: number, z = zQuantile(0.975)): Interval | null {
  const wa = wilsonInterval(xa, na, z);
  const wb = wilsonInterval(xb, nb, z);
  if (!wa || !wb) return null;
  const pa = xa / na;
  const pb = xb / nb;
  const d = pb - pa;
  return [d - Math.sqrt((pb - wb[0]) ** 2 + (wa[1] - pa) ** 2), d + Math.sqrt((wb[1] - pb) ** 2 + (pa - wa[0]) ** 2)];
}

export function welchComparison(a: GroupSummary, b: GroupSummary, alpha = 0.05): TestResult {
  if (a.n < 2 || b.n < 2) return { statistic: null, p_value: null, df: null, difference: a.n > 0 && b.n > 0 ? b.mean - a.mean : null, ci: null };
  const test = welchTest(b, a);
  const d = b.mean - a.mean;
  const se = Math.sqrt(Math.max(0, a.variance) / a.n + Math.max(0, b.variance) / b.n);
  const ci: Interval | null = Number.isFinite(test.df) && se > 0 ? [d - tQuantile(1 - alpha / 2, test.df) * se, d + tQuantile(1 - alpha / 2, test.df) * se] : se === 0 ? [d, d] : null;
  return {
    statistic: Number.isFinite(test.t) ? test.t : null,
    p_value: Number.isNaN(test.p_value) ? 1 : test.p_value,
    df: Number.isFinite(test.df) ? test.df : null,
    difference: d,
    ci,
  };
}

export interface RankSums {
  na: number;
  nb: number;
  /** Sum of B's (average) ranks in the pooled sample. */
  rankSumB: number;
  /** Σ(t³ − t) over groups of tied values. */
  ties: number;
}

export function mannWhitney(s: RankSums): { u: number | null; p_value: number | null; effect: number | null; z: number | null } {
  const { na, nb } = s;
  if (!(na > 0) || !(nb > 0)) return { u: null, p_value: null, effect: null, z: null };
  const n = na + nb;
  const ub = s.rankSumB - (nb * (nb + 1)) / 2;
  const mu = (na * nb) / 2;
  const variance = ((na * nb) / 12) * ((n + 1) - s.ties / (n * (n - 1)));
  const u = Math.max(ub, na * nb - ub);
  if (!(variance > 0)) return { u: ub, p_value: 1, effect: ub / (na * nb), z: null };
  const z = (u - mu - 0.5) / Math.sqrt(variance);
  return { u: ub, p_value: Math.min(1, 2 * (1 - phi(z))), effect: ub / (na * nb), z };
}

/** Rows per group to detect a change δ of a rate p₁ (see the module comment); null when undefined. */
export function sampleSizeRate(p1: number, delta: number, alpha: number, power: number): number | null {
  if (!(delta > 0) || !(p1 >= 0 && p1 <= 1)) return null;
  let p2 = p1 + delta;
  if (p2 > 1) p2 = p1 - delta;
  if (p2 < 0 || p2 > 1) return null;
  const za = zQuantile(1 - alpha / 2);
  const zb = zQuantile(power);
  const pbar = (p1 + p2) / 2;
  const n = (za * Math.sqrt(2 * pbar * (1 - pbar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / delta ** 2;
  return Number.isFinite(n) ? Math.ceil(n) : null;
}

export function sampleSizeMean(varA: number, varB: number, delta: number, alpha: number, power: number): number | null {
  const n = rawMean(varA, varB, delta, alpha, power);
  return n === null ? null : Math.ceil(n);
}

export function sampleSizeOrdinal(varA: number, varB: number, delta: number, alpha: number, power: number): number | null {
  const n = rawMean(varA, varB, delta, alpha, power);
  return n === null ? null : Math.ceil(n / (3 / Math.PI));
}

function rawMean(varA: number, varB: number, delta: number, alpha: number, power: number): number | null {
  if (!(delta > 0) || !Number.isFinite(varA) || !Number.isFinite(varB)) return null;
  const n = (zQuantile(1 - alpha / 2) + zQuantile(power)) ** 2 * (varA + varB) / delta ** 2;
  return Number.isFinite(n) ? n : null;
}
