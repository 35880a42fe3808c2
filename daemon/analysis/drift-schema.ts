/**
 * The drift report: what `computeDrift` returns and `sightline drift --json` prints.
 * (Lives here until the protocol/ package takes it.)
 *
 * JSON has no Infinity and no "undefined", so two conventions, both for plain `null`:
 * - A metric is null when it is undefined because one side has no non-missing values
 *   (n_ref = 0 or n_cur = 0); such a feature never drifts and has score 0.
 * - `wasserstein_norm` is also null when it is +∞: the reference is constant (sample std 0,
 *   or fewer than 2 values) while the current sample differs from it (wasserstein > 0).
 *   The two cases are told apart by `wasserstein`, which is a number in the second.
 *   `score` is null exactly when the deciding metric is that +∞, and such features rank first.
 */
import { z } from 'zod';

const probability = z.number().min(0).max(1);
const rate = z.number().min(0).max(1);
const count = z.number().int().min(0);

export const KsResultSchema = z.strictObject({
  statistic: probability.nullable(),
  p_value: probability.nullable(),
});

export const NumericDriftMetricsSchema = z.strictObject({
  ks: KsResultSchema,
  wasserstein: z.number().min(0).nullable(),
  /** wasserstein / std(R); null when undefined or +∞ (see the file comment). */
  wasserstein_norm: z.number().min(0).nullable(),
  psi: z.number().min(0).nullable(),
  js: probability.nullable(),
});

export const ChiSquareResultSchema = z.strictObject({
  statistic: z.number().min(0).nullable(),
  dof: count.nullable(),
  p_value: probability.nullable(),
});

export const CategoricalDriftMetricsSchema = z.strictObject({
  linf: probability.nullable(),
  js: probability.nullable(),
  psi: z.number().min(0).nullable(),
  chi2: ChiSquareResultSchema,
});

/** The metric a verdict is decided by; its value is `score`, its threshold `threshold`. */
export const DriftMethodSchema = z.enum(['wasserstein_norm', 'psi', 'js']);

const featureCommon = {
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
  method: DriftMethodSchema,
  threshold: z.number().min(0),
};

export const NumericFeatureDriftSchema = z.strictObject({
  ...featureCommon,
  kind: z.literal('numeric'),
  metrics: NumericDriftMetricsSchema,
});

export const CategoricalFeatureDriftSchema = z.strictObject({
  ...featureCommon,
  kind: z.literal('categorical'),
  metrics: CategoricalDriftMetricsSchema,
});

export const FeatureDriftSchema = z.discriminatedUnion('kind', [
  NumericFeatureDriftSchema,
  CategoricalFeatureDriftSchema,
]);

export const DriftReportSchema = z.strictObject({
  /** Drifted features first, then by severity (score / threshold), then by name. */
  features: z.array(FeatureDriftSchema),
  /** Names of the drifted features, in the order of `features`. */
  drifted: z.array(z.string()),
});

export type KsResult = z.infer<typeof KsResultSchema>;
export type ChiSquareResult = z.infer<typeof ChiSquareResultSchema>;
export type NumericDriftMetrics = z.infer<typeof NumericDriftMetricsSchema>;
export type CategoricalDriftMetrics = z.infer<typeof CategoricalDriftMetricsSchema>;
export type DriftMethod = z.infer<typeof DriftMethodSchema>;
export type NumericFeatureDrift = z.infer<typeof NumericFeatureDriftSchema>;
export type CategoricalFeatureDrift = z.infer<typeof CategoricalFeatureDriftSchema>;
export type FeatureDrift = z.infer<typeof FeatureDriftSchema>;
export type DriftReport = z.infer<typeof DriftReportSchema>;
