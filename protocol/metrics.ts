import { z } from 'zod';
import { SliceCondition } from './slices';

/**
 * Evaluation metrics (overall and per slice) and freshness, as the analysis engine reports them;
 * eval/replay, the editor and `sightline freshness --json` read these. Definitions follow
 * scikit-learn (daemon/analysis/metrics/ documents each formula and interval).
 */

/** A metric with its 95 % confidence interval; value null = undefined on this data (e.g. AUC with one class). */
export const MetricEstimate = z.object({
  value: z.number().nullable(),
  ci: z.tuple([z.number(), z.number()]).nullable(),
});
export type MetricEstimate = z.infer<typeof MetricEstimate>;

export const ClassificationMetrics = z.object({
  accuracy: MetricEstimate,
  precision: MetricEstimate,
  recall: MetricEstimate,
  f1: MetricEstimate,
  roc_auc: MetricEstimate,
  /** Average precision (sklearn's step-wise area under the precision–recall curve). */
  pr_auc: MetricEstimate,
  log_loss: MetricEstimate,
  brier: MetricEstimate,
  /** Expected calibration error over 10 equal-width bins; no interval (ci null). */
  ece: MetricEstimate,
  /** Mean predicted probability − positive rate. */
  bias: MetricEstimate,
});
export type ClassificationMetrics = z.infer<typeof ClassificationMetrics>;

export const RegressionMetrics = z.object({
  mae: MetricEstimate,
  rmse: MetricEstimate,
  /** Mean prediction − mean label. */
  bias: MetricEstimate,
});
export type RegressionMetrics = z.infer<typeof RegressionMetrics>;

export const ClassificationMetricSet = z.object({
  task: z.literal('binary_classification'),
  /** Rows with both a score and a label. */
  n: z.number().int().nonnegative(),
  positives: z.number().int().nonnegative(),
  predicted_positives: z.number().int().nonnegative(),
  metrics: ClassificationMetrics,
});
export const RegressionMetricSet = z.object({
  task: z.literal('regression'),
  n: z.number().int().nonnegative(),
  metrics: RegressionMetrics,
});
export const MetricSet = z.discriminatedUnion('task', [ClassificationMetricSet, RegressionMetricSet]);
export type MetricSet = z.infer<typeof MetricSet>;

/** Metrics of one slice: the rows matching every predicate. */
export const SliceMetrics = z.object({
  predicates: z.array(SliceCondition),
  metrics: MetricSet,
});
export type SliceMetrics = z.infer<typeof SliceMetrics>;

export const EvaluationTask = z.enum(['binary_classification', 'regression']);
export type EvaluationTask = z.infer<typeof EvaluationTask>;

export const EvaluationReport = z.object({
  task: EvaluationTask,
  /** Classification: a row is predicted positive when score ≥ threshold. */
  threshold: z.number().nullable(),
  /** Rows of the input (with or without score/label). */
  rows: z.number().int().nonnegative(),
  overall: MetricSet,
  slices: z.array(SliceMetrics),
  confidence: z.literal(0.95),
  /** Which interval each metric uses, in words. */
  intervals: z.record(z.string(), z.string()),
});
export type EvaluationReport = z.infer<typeof EvaluationReport>;

// ── freshness (`sightline freshness --json`, `POST /v1/freshness`) ─────────────

export const FreshnessCheck = z.object({
  /** model_age | prediction_age | label_age | label_coverage | stuck_results */
  check: z.string(),
  ok: z.boolean(),
  /** Hours for ages, a share for coverage; null when it cannot be measured (see `message`). */
  observed: z.number().nullable(),
  limit: z.number().nullable(),
  message: z.string(),
});
export type FreshnessCheck = z.infer<typeof FreshnessCheck>;

export const StuckResult = z.object({
  /** `runs` (kind eval) or `component_runs` (a pipeline component's logged metrics). */
  source: z.enum(['runs', 'component_runs']),
  /** The eval data set (runs) or the component name. */
  group: z.string(),
  /** The last K run ids, newest first. */
  run_ids: z.array(z.string()),
  /** Numeric results that repeat exactly in each of those runs. */
  values: z.record(z.string(), z.number()),
  stuck: z.boolean(),
});
export type StuckResult = z.infer<typeof StuckResult>;

export const ModelFreshness = z.object({
  model: z.string(),
  /** Where the training time came from: the lineage run that wrote the model, or the card's training window end. */
  trained_at: z.string().nullable(),
  trained_at_source: z.enum(['component_runs', 'card_window', 'unknown']),
  model_age_hours: z.number().nullable(),
  predictions: z.number().int().nonnegative(),
  newest_prediction: z.string().nullable(),
  prediction_age_hours: z.number().nullable(),
  labelled: z.number().int().nonnegative(),
  newest_label: z.string().nullable(),
  label_age_hours: z.number().nullable(),
  /** Labelled share of the predictions older than the label delay (null when there are none). */
  label_coverage: z.number().nullable(),
  /** Predictions the coverage is computed over. */
  coverage_predictions: z.number().int().nonnegative(),
  checks: z.array(FreshnessCheck),
});
export type ModelFreshness = z.infer<typeof ModelFreshness>;

export const FreshnessLimits = z.object({
  max_model_age_days: z.number().positive(),
  max_prediction_age_hours: z.number().positive(),
  max_label_age_hours: z.number().positive(),
  min_label_coverage: z.number().min(0).max(1),
  /** Predictions younger than this are not expected to have labels yet. */
  label_delay_hours: z.number().min(0),
  /** K: results identical in the last K runs are stuck. */
  stuck_runs: z.number().int().min(2),
});
export type FreshnessLimits = z.infer<typeof FreshnessLimits>;

export const FreshnessReport = z.object({
  /** The time ages are measured against (ISO). */
  now: z.string(),
  limits: FreshnessLimits,
  models: z.array(ModelFreshness),
  stuck: z.array(StuckResult),
  /** Every check passed and nothing is stuck. */
  ok: z.boolean(),
});
export type FreshnessReport = z.infer<typeof FreshnessReport>;

export const FreshnessRequest = z.object({
  model: z.string().max(300).optional(),
  now: z.string().max(40).optional(),
  limits: FreshnessLimits.partial().default({}),
});
export type FreshnessRequest = z.infer<typeof FreshnessRequest>;
