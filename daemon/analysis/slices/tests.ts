/**
 * The statistics of slice discovery, on per-group summaries (n, mean, sample variance) — pure.
 *
 * Welch's t-test of a slice S against the rest R (as `scipy.stats.ttest_ind(S, R, equal_var=False)`):
 *
 *   t  = (x̄_S − x̄_R) / √(s²_S/n_S + s²_R/n_R)
 *   df = (s²_S/n_S + s²_R/n_R)² / ((s²_S/n_S)²/(n_S − 1) + (s²_R/n_R)²/(n_R − 1))   (Welch–Satterthwaite)
 *   p  = 2·F_t(−|t|; df)   (two-sided; F_t the CDF of Student's t, @stdlib/stats-base-dists-t-cdf)
 *
 * with s² the sample variances (ddof = 1). When both variances are 0 the test degenerates: means
 * that differ give t = ±∞ and p = 0 (as scipy); equal means give t = NaN, which scipy reports as
 * p = NaN and we report as p = 1 (no evidence of a difference).
 *
 * Effect size (Cohen's d with the pooled standard deviation):
 *
 *   d = (x̄_S − x̄_R) / s_p,   s_p = √(((n_S − 1)s²_S + (n_R − 1)s²_R) / (n_S + n_R − 2)),
 *
 * ±∞ when s_p = 0 and the means differ, 0 when they are equal.
 *
 * Benjamini–Hochberg adjusted p-values over m tests (as R's `p.adjust(p, "BH")`, statsmodels'
 * `fdrcorrection`): with p₍₁₎ ≤ … ≤ p₍ₘ₎ sorted ascending,
 *
 *   p̃₍ᵢ₎ = min_{j ≥ i} min(1, m·p₍ⱼ₎ / j),
 *
 * and a hypothesis is rejected at false-discovery rate α when p̃ ≤ α (equivalently: all p₍ᵢ₎ with
 * i ≤ max{k : p₍ₖ₎ ≤ kα/m}).
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';

export interface GroupSummary {
  n: number;
  mean: number;
  /** Sample variance (ddof = 1). */
  variance: number;
}

export interface WelchTest {
  /** NaN when both variances are 0 and the means are equal. */
  t: number;
  /** NaN when both variances are 0. */
  df: number;
  p_value: number;
}

export function welchTest(a: GroupSummary, b: GroupSummary): WelchTest {
  if (a.n < 2 || b.n < 2) throw new Error("Welch's test needs at least two rows on each side");
  const va = Math.max(0, a.variance) / a.n;
  const vb = Math.max(0, b.variance) / b.n;
  const se2 = va + vb;
  const diff = a.mean - b.mean;
  if (se2 === 0) {
    if (diff === 0) return { t: NaN, df: NaN, p_value: 1 };
    return { t: diff > 0 ? Infinity : -Infinity, df: NaN, p_value: 0 };
  }
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  return { t, df, p_value: twoSidedTPValue(t, df) };
}

/** P(|T| ≥ |t|) for T ~ Student's t with df degrees of freedom: 2·F(−|t|), the tail computed directly. */
export function twoSidedTPValue(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}

/** Cohen's d of a vs b with the pooled standard deviation (see the module comment). */
export function pooledEffectSize(a: GroupSummary, b: GroupSummary): number {
  const dof = a.n + b.n - 2;
  if (dof <= 0) return NaN;
  const pooled = Math.sqrt((Math.max(0, a.variance) * (a.n - 1) + Math.max(0, b.variance) * (b.n - 1)) / dof);
  const diff = a.mean - b.mean;
  if (pooled === 0) return diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
  return diff / pooled;
}

/** Benjamini–Hochberg adjusted p-values, in the order of the input (see the module comment). */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  for (const p of pValues) if (!(p >= 0 && p <= 1)) throw new Error(`p-value out of [0, 1]: ${p}`);
  const order = pValues.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const [p, index] = order[rank - 1]!;
    running = Math.min(running, (m * p) / rank);
    adjusted[index] = running;
  }
  return adjusted;
}

/**
 * Summaries of a group and of its complement from sums of centred values d = x − c (c any
 * constant, e.g. the overall mean, which keeps the sums small and the variance free of
 * cancellation): Σd and Σd² of the group and of all rows.
 */
export function summariesFromSums(
  group: { n: number; sum: number; centredSum: number; centredSquares: number },
  total: { n: number; sum: number; centredSum: number; centredSquares: number },
): { slice: GroupSummary; rest: GroupSummary } {
  const rest = {
    n: total.n - group.n,
    sum: total.sum - group.sum,
    centredSum: total.centredSum - group.centredSum,
    centredSquares: total.centredSquares - group.centredSquares,
  };
  const summary = (g: typeof rest): GroupSummary => ({
    n: g.n,
    mean: g.n > 0 ? g.sum / g.n : NaN,
    variance: g.n > 1 ? Math.max(0, (g.centredSquares - (g.centredSum * g.centredSum) / g.n) / (g.n - 1)) : NaN,
  });
  return { slice: summary(group), rest: summary(rest) };
}
