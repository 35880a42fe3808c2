/**
 * Skew verdicts and ranking (DESIGN "Statistics": skew uses L∞ ≥ 0.1 for categorical features
 * and Jensen–Shannon distance ≥ 0.1 for numeric ones; all thresholds configurable per feature).
 *
 * Distribution mode follows drift's small-sample rule: once both samples exceed 1000 values the
 * distance alone decides (every p-value is tiny at that scale); below, the χ² test of
 * homogeneity over the same bins must also reject at α = 0.05, because distances between small
 * samples from one distribution are noisy. Row-level modes compare the same entities, so there is
 * no sampling noise to guard against: the mismatch rate decides alone (default threshold 0.1 %,
 * so a last-bit difference on a few rows in a thousand — the sample's dropped `log_distance` —
 * is reported).
 */
import type { FeatureKind } from '../verdict.js';

export interface SkewThresholdValues {
  linf: number;
  js: number;
  mismatch_rate: number;
}

export const DEFAULT_SKEW_THRESHOLDS: Readonly<SkewThresholdValues> = Object.freeze({
  linf: 0.1,
  js: 0.1,
  mismatch_rate: 0.001,
});

/** Numeric values within abs + rel·max(|t|, |s|) of each other are equal. */
export interface NumericTolerance {
  abs: number;
  rel: number;
}

export const DEFAULT_TOLERANCE: Readonly<NumericTolerance> = Object.freeze({ abs: 1e-6, rel: 1e-6 });

/** Example pairs per feature unless asked otherwise. */
export const DEFAULT_EXAMPLES = 5;

export const SMALL_SAMPLE = 1000;
export const SMALL_SAMPLE_ALPHA = 0.05;

/** Defaults, then the overrides for all features, then the feature's own (undefined keeps the value below). */
export function resolveThresholds(...layers: Array<Partial<SkewThresholdValues> | undefined>): SkewThresholdValues {
  const out: SkewThresholdValues = { ...DEFAULT_SKEW_THRESHOLDS };
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.linf !== undefined) out.linf = layer.linf;
    if (layer.js !== undefined) out.js = layer.js;
    if (layer.mismatch_rate !== undefined) out.mismatch_rate = layer.mismatch_rate;
  }
  return out;
}

export interface DistributionVerdict {
  skew: boolean;
  score: number;
  metric: 'linf' | 'js';
  threshold: number;
}

/**
 * Categorical: L∞; numeric: JS. `distances` null (a side without values) never skews and
 * scores 0.
 */
export function decideDistributionSkew(
  kind: FeatureKind,
  distances: { js: number; linf?: number | null } | null,
  sizes: { n: number; m: number; pValue: number | null },
  thresholds: SkewThresholdValues,
): DistributionVerdict {
  const metric = kind === 'categorical' ? 'linf' : 'js';
  const threshold = thresholds[metric];
  if (distances === null) return { skew: false, score: 0, metric, threshold };
  const score = metric === 'linf' ? (distances.linf ?? 0) : distances.js;
  const large = sizes.n > SMALL_SAMPLE && sizes.m > SMALL_SAMPLE;
  const significant = large || (sizes.pValue !== null && sizes.pValue < SMALL_SAMPLE_ALPHA);
  return { skew: significant && score >= threshold, score, metric, threshold };
}

/** Row-level modes: skew when the mismatch rate reaches its threshold. */
export function decideRowSkew(mismatchRate: number, thresholds: SkewThresholdValues): { skew: boolean; score: number; metric: 'mismatch_rate'; threshold: number } {
  const threshold = thresholds.mismatch_rate;
  return { skew: mismatchRate >= threshold, score: mismatchRate, metric: 'mismatch_rate', threshold };
}

/** Skewed first, then by score / threshold (descending), then by name. */
export function rankSkew<T extends { name: string; skew: boolean; score: number; threshold: number }>(entries: readonly T[]): { features: T[]; skewed: string[] } {
  const severity = (e: T): number => (e.threshold > 0 ? e.score / e.threshold : e.score > 0 ? Infinity : 0);
  const features = [...entries].sort(
    (a, b) =>
      Number(b.skew) - Number(a.skew) ||
      (severity(a) === severity(b) ? 0 : severity(a) > severity(b) ? -1 : 1) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return { features, skewed: features.filter((f) => f.skew).map((f) => f.name) };
}
