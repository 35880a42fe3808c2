/**
 * Analytic 95 % confidence intervals (no bootstrap). Pure functions of aggregates.
 *
 * z = Φ⁻¹(0.975) = 1.959963984540054 (as `scipy.special.ndtri(0.975)`) throughout.
 *
 * | metric                        | interval                                                        |
 * |-------------------------------|-----------------------------------------------------------------|
 * | accuracy, precision, recall   | Wilson score interval of k successes in n trials                |
 * | error rate of a slice         | Wilson                                                          |
 * | ROC AUC                       | DeLong (1988): AUC ± z·√(S10/n₁ + S01/n₀), clipped to [0, 1]    |
 * | PR AUC (average precision)    | logit interval (Boyd, Eng & Page 2013): expit(logit(AP) ± z/√(n₁·AP·(1−AP))) |
 * | F1                            | delta method: F1 ± z·√(4·TP·Q·(TP+Q)/(2TP+Q)⁴), Q = FP+FN, clipped to [0, 1] |
 * | log loss, Brier, MAE, bias, mean loss | normal: mean ± z·s/√n, s the sample std (ddof = 1); lower end ≥ 0 for losses |
 * | RMSE                          | √ of the normal interval of the mean squared error (lower end ≥ 0) |
 * | ECE                           | none (null)                                                     |
 *
 * An interval is null when it is undefined (n = 0; n = 1 for a sample std; one class for AUC).
 */

export const Z95 = 1.959963984540054;

export type Interval = [number, number];

/**
 * Wilson score interval for k successes out of n (as `scipy.stats.binomtest(k, n)
 * .proportion_ci(0.95, method='wilson')`):
 *
 *   centre = (k + z²/2) / (n + z²),  half = z / (n + z²) · √(k(n − k)/n + z²/4).
 */
export function wilsonInterval(k: number, n: number, z = Z95): Interval | null {
  if (!(n > 0) || k < 0 || k > n) return null;
  const z2 = z * z;
  const centre = (k + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt((k * (n - k)) / n + z2 / 4);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Normal interval of a mean: mean ± z·sd/√n, with sd the sample standard deviation (ddof = 1)
 * (as `scipy.stats.norm.interval(0.95, loc=mean, scale=scipy.stats.sem(x))`). For a quantity
 * that cannot be negative (a loss, a squared error) the lower end is floored at 0. No spread
 * (sd = 0) gives [mean, mean].
 */
export function normalMeanInterval(mean: number, sd: number | null, n: number, opts: { nonNegative?: boolean; z?: number } = {}): Interval | null {
  if (!(n >= 2) || sd === null || !Number.isFinite(sd) || !Number.isFinite(mean)) return null;
  const half = ((opts.z ?? Z95) * sd) / Math.sqrt(n);
  return [opts.nonNegative ? Math.max(0, mean - half) : mean - half, mean + half];
}

/**
 * DeLong's interval for the ROC AUC. With placements V10(xᵢ) = P(negative < xᵢ) + ½P(negative = xᵢ)
 * for each positive and V01(yⱼ) = P(positive > yⱼ) + ½P(positive = yⱼ) for each negative,
 * S10 = Σ(V10 − AUC)²/(n₁ − 1), S01 = Σ(V01 − AUC)²/(n₀ − 1) and Var(AUC) = S10/n₁ + S01/n₀.
 * `variance` is that Var(AUC); the interval is AUC ± z·√Var clipped to [0, 1].
 */
export function delongInterval(auc: number | null, variance: number | null, z = Z95): Interval | null {
  if (auc === null || variance === null || !Number.isFinite(variance) || variance < 0) return null;
  const half = z * Math.sqrt(variance);
  return [Math.max(0, auc - half), Math.min(1, auc + half)];
}

/**
 * Logit interval of average precision (Boyd, Eng & Page 2013, "Area under the precision-recall
 * curve: point estimates and confidence intervals"): η = ln(AP/(1 − AP)),
 * τ = 1/√(n₁·AP·(1 − AP)), interval = [expit(η − zτ), expit(η + zτ)], n₁ the positives.
 * AP of exactly 0 or 1 gives the degenerate interval [AP, AP].
 */
export function logitInterval(ap: number | null, positives: number, z = Z95): Interval | null {
  if (ap === null || !(positives > 0)) return null;
  if (ap <= 0 || ap >= 1) return [ap, ap];
  const eta = Math.log(ap / (1 - ap));
  const tau = 1 / Math.sqrt(positives * ap * (1 - ap));
  return [expit(eta - z * tau), expit(eta + z * tau)];
}

/**
 * Delta-method interval of F1 = 2TP/(2TP + FP + FN) under a multinomial model of the confusion
 * counts (the binary case of Takahashi et al. 2022): with Q = FP + FN,
 * Var(F1) = 4·TP·Q·(TP + Q) / (2TP + Q)⁴ — it depends on the counts only (TN has no influence).
 * Interval F1 ± z·√Var clipped to [0, 1]; degenerate when TP = 0 or Q = 0.
 */
export function f1Interval(tp: number, fp: number, fn: number, z = Z95): Interval | null {
  const q = fp + fn;
  const d = 2 * tp + q;
  if (!(d > 0)) return null;
  const f1 = (2 * tp) / d;
  const variance = (4 * tp * q * (tp + q)) / d ** 4;
  const half = z * Math.sqrt(variance);
  return [Math.max(0, f1 - half), Math.min(1, f1 + half)];
}

/** √ of a (mean squared error) interval, the lower end floored at 0: the RMSE interval. */
export function sqrtInterval(interval: Interval | null): Interval | null {
  if (!interval) return null;
  return [Math.sqrt(Math.max(0, interval[0])), Math.sqrt(Math.max(0, interval[1]))];
}

function expit(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
