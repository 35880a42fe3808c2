import { z } from 'zod';

/**
 * Failing slices: `sightline slices --json`, `POST /v1/slices`.
 *
 * A slice is a conjunction of predicates over slice attributes (up to `degree` of them). Its rows
 * are compared with the rest of the analysed rows on a per-row loss: Welch's t-test, p-values
 * adjusted by Benjamini–Hochberg across every tested candidate, effect size = (mean loss of the
 * slice − mean loss of the rest) / pooled standard deviation. Slices are listed worst first.
 * See daemon/analysis/slices/ for the exact definitions.
 */

/**
 * The per-row loss a slice is judged on.
 * With labels: `zero_one` (1 when the predicted class, score ≥ threshold, differs from the label),
 * `log_loss` (−ln of the probability given to the true class, clipped to [1e-15, 1 − 1e-15]),
 * `abs_error` (|prediction − label|).
 * Without labels: `score_shift` (the score itself: slices whose predictions differ from the rest),
 * `low_confidence` (1 − |score − threshold| / max(threshold, 1 − threshold): 1 at the threshold,
 * 0 at the far end).
 */
export const SliceLoss = z.enum(['zero_one', 'log_loss', 'abs_error', 'score_shift', 'low_confidence']);
export type SliceLoss = z.infer<typeof SliceLoss>;

/**
 * One predicate of a slice.
 * - `==` value: a category (text), for categorical attributes;
 * - `is_null` value: null, rows where the attribute is missing;
 * - numeric attributes, by decile bin with edges e1 < … < ek: `<=` value e1 (first bin),
 *   `between` value [lo, hi] meaning lo < x ≤ hi, `>` value e_k (last bin).
 */
export const SliceCondition = z.object({
  feature: z.string(),
  op: z.enum(['==', 'is_null', '<=', '>', 'between']),
  value: z.union([z.string(), z.number(), z.null(), z.tuple([z.number(), z.number()])]),
});
export type SliceCondition = z.infer<typeof SliceCondition>;

export const FailingSlice = z.object({
  predicates: z.array(SliceCondition).min(1),
  /** Rows in the slice. */
  n: z.number().int().nonnegative(),
  /** Mean loss in the slice (the error rate for `zero_one`). */
  metric: z.number(),
  /** 95 % interval of `metric`: Wilson for `zero_one`, normal (mean ± 1.96·s/√n) otherwise. */
  ci: z.tuple([z.number(), z.number()]),
  /** (metric − metric_rest) / pooled std; null = ±∞ (no spread in either group, means differ). */
  effect_size: z.number().nullable(),
  /** Benjamini–Hochberg adjusted p-value of Welch's test, across every tested candidate. */
  p_adjusted: z.number(),
  // ── additive fields ──
  /** Mean loss of every other analysed row. */
  metric_rest: z.number(),
  /** Two-sided p-value of Welch's t-test, slice vs rest. */
  p_value: z.number(),
  /** Welch's t statistic and its degrees of freedom. */
  t: z.number().nullable(),
  df: z.number().nullable(),
  /** n / analysed rows. */
  support: z.number(),
  loss: SliceLoss,
});
export type FailingSlice = z.infer<typeof FailingSlice>;

export const SliceAttribute = z.object({
  name: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  /** Numeric attributes: the distinct decile edges of the analysed rows (bins (−∞,e1], (e1,e2], …, (e_k,∞)). */
  edges: z.array(z.number()).optional(),
});
export type SliceAttribute = z.infer<typeof SliceAttribute>;

export const SliceReport = z.object({
  /** Significant slices (p_adjusted ≤ alpha) on the failing side, worst (largest effect size) first. */
  slices: z.array(FailingSlice),
  // ── additive fields ──
  loss: SliceLoss,
  /** Whether the loss used labels (false: a no-labels mode). */
  labels: z.boolean(),
  /** Rows analysed (rows with a score and, for label losses, a label). */
  n: z.number().int().nonnegative(),
  /** Mean loss over all analysed rows. */
  metric_overall: z.number().nullable(),
  /** Candidates that met the support limits and were tested (the m of Benjamini–Hochberg). */
  candidates: z.number().int().nonnegative(),
  /** Significant slices before `top` cut the list. */
  significant: z.number().int().nonnegative(),
  alpha: z.number(),
  degree: z.number().int().positive(),
  /** Rows a slice needs: max(min_support, ceil(min_fraction · n)). */
  min_rows: z.number().int().nonnegative(),
  attributes: z.array(SliceAttribute),
  /** Why a no-labels mode was chosen, or another remark. */
  note: z.string().optional(),
});
export type SliceReport = z.infer<typeof SliceReport>;

/** Which logged predictions a trace analysis reads (as for drift). */
export const AnalysisWindow = z.object({
  model: z.string().max(300).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  last: z.number().int().positive().optional(),
  source: z.string().max(100).optional(),
});
export type AnalysisWindow = z.infer<typeof AnalysisWindow>;

/** `POST /v1/slices`: failing slices of the logged predictions of the daemon's trace. */
export const SlicesRequest = z.object({
  window: AnalysisWindow.default({}),
  /** Default: the model card's `slice_attributes`. */
  attributes: z.array(z.string().min(1).max(200)).max(50).optional(),
  /** Default: `zero_one` for classification, `abs_error` for regression; `score_shift` without labels. */
  loss: SliceLoss.optional(),
  /** Judge slices without labels even where labels exist (`score_shift` unless `loss` says otherwise). */
  no_labels: z.boolean().default(false),
  degree: z.number().int().min(1).max(3).default(2),
  min_support: z.number().int().min(2).default(30),
  min_fraction: z.number().min(0).max(1).default(0.005),
  alpha: z.number().gt(0).lt(1).default(0.05),
  /** Decision threshold of the score (default: the model card's, else 0.5). */
  threshold: z.number().optional(),
  /** At most this many slices in the answer. */
  top: z.number().int().positive().default(100),
  /** Store the slices as findings of kind `slice` (replacing this model's previous ones) and publish them. */
  save: z.boolean().default(false),
});
export type SlicesRequest = z.infer<typeof SlicesRequest>;
export type SlicesRequestInput = z.input<typeof SlicesRequest>;

export const SlicesResult = z.object({
  report: SliceReport,
  /** The window in words. */
  window: z.string(),
  model_name: z.string().nullable(),
  /** Findings saved (null when not asked to save). */
  saved: z.number().int().nullable(),
});
export type SlicesResult = z.infer<typeof SlicesResult>;
