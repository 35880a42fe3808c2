import { z } from 'zod';

/**
 * Training–serving skew: `sightline skew --json` prints a `SkewReport`; `POST /v1/skew` takes a
 * `SkewRequest` and answers `{ report: SkewReport, findings, baseline, window, modelName }`.
 *
 * Three modes, each comparing what the training code produced with what was served:
 * - `distribution`: training vs serving value distributions, per feature — L∞ over the
 *   categories (categorical) or Jensen–Shannon distance over the training deciles (numeric),
 *   exactly as drift bins them (DESIGN "Statistics"); skew when ≥ the threshold (0.1 / 0.1).
 * - `rows`: training rows and served rows joined on a key; per feature the share of joined rows
 *   whose values differ (numbers within |t − s| ≤ abs + rel·max(|t|, |s|) count as equal),
 *   the mean absolute difference and example pairs; skew when the mismatch rate ≥ its threshold.
 * - `replay`: raw inputs (logged with `serve --log-raw`, or a file) piped through the offline
 *   feature command; its output is then compared row by row with what was served, as in `rows`.
 *
 * Readers must tolerate fields they do not know: the shape only grows.
 */

export const SkewMode = z.enum(['distribution', 'rows', 'replay']);
export type SkewMode = z.infer<typeof SkewMode>;

/** The metric a skew verdict is decided by; its value is `score`. */
export const SkewMetric = z.enum(['linf', 'js', 'mismatch_rate']);
export type SkewMetric = z.infer<typeof SkewMetric>;

const share = z.number().min(0).max(1);
const count = z.number().int().min(0);
/** A feature value as compared: numbers for numeric features, text for categorical, null when missing. */
const ComparedValue = z.union([z.number(), z.string(), z.null()]);

/** One joined row whose two values differ. */
export const SkewExample = z.object({
  key: z.string(),
  training: ComparedValue,
  serving: ComparedValue,
});
export type SkewExample = z.infer<typeof SkewExample>;

export const SkewDistributionMetrics = z.object({
  /** Jensen–Shannon distance, base 2 (deciles of the training values, or categories); null if a side is empty. */
  js: share.nullable(),
  /** L∞ distance of the category shares (categorical features only). */
  linf: share.nullable().optional(),
  /**
   * χ² test of homogeneity over the same bins. Below 1000 values on a side a verdict also needs
   * p < 0.05 (small samples have noisy distances); above, the distance alone decides.
   */
  p_value: share.nullable(),
});
export type SkewDistributionMetrics = z.infer<typeof SkewDistributionMetrics>;

export const SkewFeature = z.object({
  name: z.string(),
  mode: SkewMode,
  kind: z.enum(['numeric', 'categorical']),
  skew: z.boolean(),
  /** Value of `metric`. */
  score: z.number().min(0),
  metric: SkewMetric,
  threshold: z.number().min(0),
  // rows / replay
  /** Share of joined rows whose training and serving values differ (a value against a missing one counts). */
  mismatch_rate: share.optional(),
  /** A few differing pairs, smallest keys first. */
  examples: z.array(SkewExample).optional(),
  /** Joined rows compared, and how many of them differ. */
  compared: count.optional(),
  mismatches: count.optional(),
  /** Mean and max |training − serving| over joined rows with both values (numeric); null without any. */
  mean_abs_diff: z.number().min(0).nullable().optional(),
  max_abs_diff: z.number().min(0).nullable().optional(),
  // distribution (and, for joined rows, the share of pairs whose value is missing on that side)
  missing_training: share.optional(),
  missing_serving: share.optional(),
  n_training: count.optional(),
  n_serving: count.optional(),
  metrics: SkewDistributionMetrics.optional(),
});
export type SkewFeature = z.infer<typeof SkewFeature>;

export const SkewTolerance = z.object({
  abs: z.number().min(0),
  rel: z.number().min(0),
});
export type SkewTolerance = z.infer<typeof SkewTolerance>;

export const SkewTransformRun = z.object({
  command: z.string(),
  /** Raw records written to its stdin, and JSON lines it printed. */
  rows_in: count,
  rows_out: count,
  seconds: z.number().min(0),
});
export type SkewTransformRun = z.infer<typeof SkewTransformRun>;

export const SkewReport = z.object({
  mode: SkewMode,
  /** Skewed features first, then by score / threshold, then by name. */
  features: z.array(SkewFeature),
  /** Names of the skewed features, in the order of `features`. */
  skewed: z.array(z.string()),
  /** Rows read on each side (for replay, the training side is the transform's output). */
  rows_training: count,
  rows_serving: count,
  // rows / replay
  /** The join key (the training column; a trace's served side joins on its `join_key`). */
  key: z.string().optional(),
  /** Keys found on both sides (one row per key and side), and keys found on one side only. */
  matched: count.optional(),
  only_training: count.optional(),
  only_serving: count.optional(),
  /** Extra rows of repeated keys, left out (a trace keeps the newest prediction of a key). */
  duplicates_training: count.optional(),
  duplicates_serving: count.optional(),
  /** Rows without a key value, left out. */
  missing_key_training: count.optional(),
  missing_key_serving: count.optional(),
  tolerance: SkewTolerance.optional(),
  transform: SkewTransformRun.optional(),
});
export type SkewReport = z.infer<typeof SkewReport>;

/** Thresholds of the verdicts; any left out keeps its default (linf 0.1, js 0.1, mismatch_rate 0.001). */
export const SkewThresholds = z.object({
  linf: z.number().min(0).optional(),
  js: z.number().min(0).optional(),
  mismatch_rate: z.number().min(0).max(1).optional(),
});
export type SkewThresholds = z.infer<typeof SkewThresholds>;

/** Which logged predictions are the served side (as for drift). */
export const SkewWindow = z.object({
  model: z.string().max(300).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  last: z.number().int().positive().optional(),
  source: z.string().max(100).optional(),
});
export type SkewWindow = z.infer<typeof SkewWindow>;

/**
 * `POST /v1/skew`: skew of the daemon's trace (its logged predictions are the served side).
 * Paths are read by the daemon: send absolute ones. Without `mode`: `transform` → replay,
 * `key` → rows, else distribution.
 */
export const SkewRequest = z.object({
  mode: SkewMode.optional(),
  /** The training side of distribution/rows: a CSV/Parquet/JSONL file, or a baseline stored in the trace. */
  training: z.string().min(1).max(4096).optional(),
  baseline: z.string().min(1).max(100).optional(),
  /** Replay: raw inputs from this file instead of the trace's logged raw inputs. */
  raw: z.string().min(1).max(4096).optional(),
  key: z.string().min(1).max(300).optional(),
  /** Replay: the offline feature command (JSONL on stdin → JSONL on stdout, keeping the key), run without a shell. */
  transform: z
    .object({
      command: z.string().min(1).max(4096),
      /** Working directory of the command (default: the daemon's). */
      cwd: z.string().min(1).max(4096).optional(),
      timeout_s: z.number().positive().max(3600).optional(),
    })
    .optional(),
  window: SkewWindow.default({}),
  /** Only these features. */
  features: z.array(z.string()).optional(),
  /** Thresholds for every feature, and per feature. */
  thresholds: SkewThresholds.optional(),
  feature_thresholds: z.record(z.string(), SkewThresholds).optional(),
  tolerance: SkewTolerance.partial().optional(),
  /** Example pairs per feature (default 5). */
  examples: z.number().int().min(0).max(100).optional(),
  /** Store skewed features as findings of kind `skew` (replacing this analysis' previous ones) and publish them. */
  save: z.boolean().default(false),
});
export type SkewRequest = z.infer<typeof SkewRequest>;
