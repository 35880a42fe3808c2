import { z } from 'zod';

/**
 * The drift report: what the analysis engine's `computeDrift` returns, `sightline drift --json`
 * prints and `POST /v1/drift` answers under `report` (documented in docs/analysis.md).
 *
 * JSON has no Infinity and no "undefined", so two conventions, both for plain `null`:
 * - A metric is null when it is undefined because one side has no non-missing values
 *   (n_ref = 0 or n_cur = 0); such a feature never drifts and has score 0.
 * - `wasserstein_norm` is also null when it is +∞: the reference is constant (sample std 0,
 *   or fewer than 2 values) while the current sample differs from it (wasserstein > 0).
 *   The two cases are told apart by `wasserstein`, which is a number in the second.
 *   `score` is null exactly when the deciding metric is that +∞, and such features rank first.
 *
 * Readers must tolerate fields they do not know: the shape only grows.
 */

const probability = z.number().min(0).max(1);
const rate = z.number().min(0).max(1);
const count = z.number().int().min(0);

/** Kolmogorov–Smirnov: D = sup |F_R − F_C| and its asymptotic p-value. */
export const KsResult = z.strictObject({
  statistic: probability.nullable(),
  p_value: probability.nullable(),
});
export type KsResult = z.infer<typeof KsResult>;

export const NumericDriftMetrics = z.strictObject({
  ks: KsResult,
  wasserstein: z.number().min(0).nullable(),
  /** wasserstein / std(R); null when undefined or +∞ (see the file comment). */
  wasserstein_norm: z.number().min(0).nullable(),
  psi: z.number().min(0).nullable(),
  js: probability.nullable(),
});
export type NumericDriftMetrics = z.infer<typeof NumericDriftMetrics>;

/** χ² test of homogeneity on the 2×K table of category counts (no continuity correction). */
export const ChiSquareResult = z.strictObject({
  statistic: z.number().min(0).nullable(),
  dof: count.nullable(),
  p_value: probability.nullable(),
});
export type ChiSquareResult = z.infer<typeof ChiSquareResult>;

export const CategoricalDriftMetrics = z.strictObject({
  linf: probability.nullable(),
  js: probability.nullable(),
  psi: z.number().min(0).nullable(),
  chi2: ChiSquareResult,
});
export type CategoricalDriftMetrics = z.infer<typeof CategoricalDriftMetrics>;

/** The metric a verdict is decided by; its value is `score`, its threshold `threshold`. */
export const DriftMethod = z.enum(['wasserstein_norm', 'psi', 'js']);
export type DriftMethod = z.infer<typeof DriftMethod>;

const featureCommon = {
  /** Column name; on a trace also `prediction` (the score output) and `label:<name>`. */
  name: z.string(),
  /** Non-missing values used by the metrics (rows minus nulls and non-finite numbers). */
  n_ref: count,
  n_cur: count,
  /** Share of rows whose value is missing (NULL, or NaN/±∞ for numeric features). */
  missing_ref: rate,
  missing_cur: rate,
  drift: z.boolean(),
  /** Value of the deciding metric (`method`); null means +∞. */
  score: z.number().min(0).nullable(),
  method: DriftMethod,
  threshold: z.number().min(0),
};

export const NumericFeatureDrift = z.strictObject({
  ...featureCommon,
  kind: z.literal('numeric'),
  metrics: NumericDriftMetrics,
});
export type NumericFeatureDrift = z.infer<typeof NumericFeatureDrift>;

export const CategoricalFeatureDrift = z.strictObject({
  ...featureCommon,
  kind: z.literal('categorical'),
  metrics: CategoricalDriftMetrics,
});
export type CategoricalFeatureDrift = z.infer<typeof CategoricalFeatureDrift>;

export const FeatureDrift = z.discriminatedUnion('kind', [NumericFeatureDrift, CategoricalFeatureDrift]);
export type FeatureDrift = z.infer<typeof FeatureDrift>;

/** A comparison the analysis could not make, and why (e.g. the baseline has no prediction column). */
export const DriftSkipped = z.strictObject({
  /** As a feature would be named: `prediction`, `label:<name>`. */
  name: z.string(),
  reason: z.string(),
});
export type DriftSkipped = z.infer<typeof DriftSkipped>;

export const DriftReport = z.strictObject({
  /** Drifted features first, then by severity (score / threshold), then by name. */
  features: z.array(FeatureDrift),
  /** Names of the drifted features, in the order of `features`. */
  drifted: z.array(z.string()),
  /** Trace only, when something was not compared: the prediction output or the label. */
  skipped: z.array(DriftSkipped).optional(),
});
export type DriftReport = z.infer<typeof DriftReport>;
