/**
 * The limiting Kolmogorov distribution and the two-sample KS p-value built on it.
 *
 *   Q(λ) = P(K > λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}                       (λ > 0)
 *
 * which equals `scipy.stats.kstwobign.sf(λ)`. The alternating series converges fast only for
 * large λ (a handful of terms above 0.82) and needs thousands of nearly cancelling terms for
 * small λ, so below λ = 0.82 — the same cut-over scipy/cephes uses — we use the equivalent
 * Jacobi-theta form of the CDF, which converges fast there:
 *
 *   1 − Q(λ) = (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}
 */

const CUTOVER = 0.82;
const EPSILON = 1e-17;

/** Q(λ) = P(K > λ) for the Kolmogorov distribution (as `scipy.stats.kstwobign.sf`). */
export function kolmogorovSurvival(lambda: number): number {
  if (Number.isNaN(lambda)) return NaN;
  if (lambda <= 0) return 1;
  if (lambda <= CUTOVER) {
    const w = Math.sqrt(2 * Math.PI) / lambda;
    const a = (Math.PI * Math.PI) / (8 * lambda * lambda);
    let cdf = 0;
    for (let k = 1; k < 100; k++) {
      const odd = 2 * k - 1;
      const term = w * Math.exp(-odd * odd * a);
      cdf += term;
      if (term <= EPSILON * cdf || term === 0) break;
    }
    return clamp01(1 - cdf);
  }
  let sf = 0;
  for (let k = 1; k < 100; k++) {
    const term = 2 * Math.exp(-2 * k * k * lambda * lambda);
    sf += k % 2 === 1 ? term : -term;
    if (term <= EPSILON * sf) break;
  }
  return clamp01(sf);
}

/**
 * Two-sample KS p-value from the limiting distribution: p = Q(√en · D), en = n·m/(n+m)
 * (as `scipy.stats.kstwobign.sf(sqrt(en) * D)`).
 */
export function ksPValue(statistic: number, n: number, m: number): number {
  if (n <= 0 || m <= 0) throw new Error('ksPValue needs two non-empty samples');
  const en = (n * m) / (n + m);
  return kolmogorovSurvival(Math.sqrt(en) * statistic);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
