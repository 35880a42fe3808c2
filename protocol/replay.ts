import { z } from 'zod';
import { DriftHistogram } from './findings';
import { EvaluationTask, MetricSet } from './metrics';
import { AnalysisWindow, SliceCondition, SliceLoss } from './slices';
import { GateSource, GateSpec } from './gates';
import { ExecutionProvider } from './models';

/**
 * The result of a replay (`sightline replay`) or an evaluation (`sightline eval`): what the
 * `runs` table keeps in its `results` column, what `sightline replay --json` prints, what the
 * compare view of the editor shows, and what JUnit, SARIF and the Markdown summary are made from.
 *
 * Replay: captured traffic goes through a *baseline* model (the current one) and a *candidate*
 * on exactly the same inputs. Eval: one model (the candidate) on a golden set; `baseline` is then
 * null, and so are every baseline-side number and every delta.
 *
 * Conventions
 * - Metrics follow scikit-learn's definitions and carry 95 % intervals (`MetricEstimate` of
 *   metrics.ts). A delta is candidate − baseline; its `ci` is the 95 % interval of the difference
 *   (paired where the rows are the same, e.g. a paired bootstrap or DeLong for AUC); `method`
 *   names how it was computed.
 * - Every share is in [0, 1]; every duration is in milliseconds.
 * - Numbers that do not exist on the data are null, never NaN (JSON has no NaN).
 * - Readers must tolerate unknown keys: the shape only grows (additive changes only).
 */

const share = z.number().min(0).max(1);
const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const Interval = z.tuple([z.number(), z.number()]);

/** A model as the run saw it. */
export const ReplayModel = z.object({
  name: z.string(),
  version: z.string(),
  /** sha256 of the .onnx file (the model id everywhere in Sightline). */
  id: z.string(),
  path: z.string().nullable().optional(),
  /** The execution provider that actually ran it (cpu, webgpu, cuda). */
  execution_provider: z.string(),
});
export type ReplayModel = z.infer<typeof ReplayModel>;

/** Whether larger values of a metric are better (`auc`) or worse (`log_loss`, `p99_ms`). */
export const MetricDirection = z.enum(['higher', 'lower']);
export type MetricDirection = z.infer<typeof MetricDirection>;

/** One metric, baseline vs candidate. */
export const MetricDelta = z.object({
  /** A metric of metrics.ts: accuracy, precision, recall, f1, roc_auc, pr_auc, log_loss, brier, ece, bias, mae, rmse. */
  metric: z.string(),
  baseline: z.number().nullable(),
  candidate: z.number().nullable(),
  /** candidate − baseline (null when either is). */
  delta: z.number().nullable(),
  /** 95 % interval of the delta; null when it cannot be computed (e.g. ECE). */
  ci: Interval.nullable(),
  /** How `ci` was computed: "paired bootstrap (1000)", "DeLong (paired)", "Newcombe", … */
  method: z.string().optional(),
  better: MetricDirection,
  /**
   * The candidate is worse beyond the tolerance and the interval excludes the tolerance band on
   * the bad side: tol = tolerance.abs + tolerance.rel·|baseline| (the run's `tolerance`); for
   * `higher` metrics ci[1] < −tol, for `lower` ones ci[0] > tol. Gates such as
   * `slice_regressions == 0` count these.
   */
  regression: z.boolean(),
});
export type MetricDelta = z.infer<typeof MetricDelta>;

/** Overall metrics of both models on the labelled rows. */
export const OverallComparison = z.object({
  /** Rows with a label that both models scored. */
  n: count,
  baseline: MetricSet.nullable(),
  candidate: MetricSet,
  deltas: z.array(MetricDelta),
});
export type OverallComparison = z.infer<typeof OverallComparison>;

/** Distribution of candidate − baseline over the primary output (score or value): all rows, or one slice's. */
export const OutputDifference = z.object({
  n: count,
  /** Mean of candidate − baseline (signed) and of its absolute value. */
  mean: z.number(),
  mean_abs: z.number().nonnegative(),
  p50_abs: z.number().nonnegative(),
  p95_abs: z.number().nonnegative(),
  p99_abs: z.number().nonnegative(),
  max_abs: z.number().nonnegative(),
  /** |difference| ≤ abs + rel·|baseline| counts as equal (nondeterminism between runs and providers). */
  tolerance: z.object({ abs: z.number().nonnegative(), rel: z.number().nonnegative() }),
  /** Share of rows whose outputs are equal within the tolerance. */
  within_tolerance: share,
  /** Rows where either output is NaN or infinite (counted, excluded from the numbers above). */
  non_finite: count,
});
export type OutputDifference = z.infer<typeof OutputDifference>;

/** One slice (a conjunction of predicates over slice attributes), both models. */
export const SliceComparison = z.object({
  predicates: z.array(SliceCondition).min(1),
  /** Rows in the slice (all replayed rows) and the labelled ones among them. */
  n: count,
  labelled: count,
  baseline: MetricSet.nullable(),
  candidate: MetricSet,
  deltas: z.array(MetricDelta),
  /** Share of the slice's rows whose predicted class differs between the models. */
  flip_rate: share.nullable(),
  /**
   * Distribution of candidate − baseline over the slice's rows: the statistics of the report's
   * `output_difference`, per slice (null for an evaluation; absent in reports stored before it).
   */
  output_difference: OutputDifference.nullable().optional(),
  /** Any delta of this slice is a regression. */
  regression: z.boolean(),
});
export type SliceComparison = z.infer<typeof SliceComparison>;

/** A slice where the candidate is significantly worse: the rows the gate `slice_regressions == 0` counts. */
export const SliceRegression = z.object({
  predicates: z.array(SliceCondition).min(1),
  n: count,
  metric: z.string(),
  baseline: z.number().nullable(),
  candidate: z.number().nullable(),
  delta: z.number(),
  ci: Interval.nullable(),
  /** p-value of the difference (two-sided), after Benjamini–Hochberg across the slices tested. */
  p_adjusted: z.number().min(0).max(1).nullable(),
  /** Where the slice's features are defined (file:line from the feature map), for SARIF and the editor. */
  locations: z.array(z.object({ feature: z.string(), file: z.string(), line: z.number().int().positive() })).optional(),
});
export type SliceRegression = z.infer<typeof SliceRegression>;

/** One row whose predicted class (or, for regression, value beyond the tolerance) differs. */
export const FlipExample = z.object({
  /** The replayed prediction (candidate side) and the captured one it replays, when logged. */
  prediction_id: z.string().nullable(),
  join_key: z.string().nullable(),
  baseline_score: z.number().nullable(),
  candidate_score: z.number().nullable(),
  baseline_label: z.union([z.string(), z.number()]).nullable(),
  candidate_label: z.union([z.string(), z.number()]).nullable(),
  /** The true label, when it arrived. */
  label: z.union([z.string(), z.number()]).nullable(),
  /** The model inputs of the row (by feature name), for the editor's detail view. */
  features: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
});
export type FlipExample = z.infer<typeof FlipExample>;

export const FlipSummary = z.object({
  /** Rows both models scored. */
  n: count,
  /** Rows whose predicted class differs (classification: score ≥ threshold). */
  count: count,
  rate: share,
  /** Baseline negative → candidate positive, and the other way round. */
  to_positive: count,
  to_negative: count,
  /** Of the flips with a label: how many the candidate got right (it fixed them) and wrong (it broke them). */
  fixed: count.optional(),
  broken: count.optional(),
  /** A sample of flipped rows (at most a few dozen), largest |score difference| first. */
  examples: z.array(FlipExample),
});
export type FlipSummary = z.infer<typeof FlipSummary>;

/** Latency of one model under the replay's load. */
export const LatencyStats = z.object({
  /** `name@version`. */
  model: z.string(),
  role: z.enum(['baseline', 'candidate']),
  /** Timed calls (one per batch) and rows they carried. */
  calls: count,
  rows: count,
  /** Per call, wall clock around `session.run`, in ms. */
  p50_ms: ms,
  p95_ms: ms,
  p99_ms: ms,
  mean_ms: ms,
  max_ms: ms,
  rows_per_s: z.number().nonnegative(),
  /** Calls in flight at once and rows per call. */
  concurrency: z.number().int().positive(),
  batch_size: z.number().int().positive(),
  /** onnxruntime thread settings (null = onnxruntime's default). */
  intra_op_threads: z.number().int().positive().nullable(),
  inter_op_threads: z.number().int().positive().nullable(),
  execution_provider: z.string(),
});
export type LatencyStats = z.infer<typeof LatencyStats>;

/**
 * Drift of the candidate's predictions against the baseline's on the same rows (DESIGN
 * "Statistics", numeric: the prediction is the feature): a large value means the candidate's
 * score distribution moved, even where no label tells which is right.
 */
export const PredictionDrift = z.object({
  /** The deciding metric and its verdict, as in a drift report. */
  method: z.string(),
  score: z.number().nullable(),
  threshold: z.number(),
  drift: z.boolean(),
  /** Every metric computed (psi, js, ks {statistic, p_value}, wasserstein, wasserstein_norm). */
  metrics: z.record(z.string(), z.unknown()),
  /** Baseline (`ref`) and candidate (`cur`) score shares over the baseline's decile bins. */
  histogram: DriftHistogram.optional(),
});
export type PredictionDrift = z.infer<typeof PredictionDrift>;

/** Labels checked before any metric is trusted (metrics on half-arrived labels lie). */
export const LabelSanity = z.object({
  /** Replayed rows, and those with a label. */
  rows: count,
  labelled: count,
  coverage: share,
  /** Share of positive labels among the labelled rows (classification; null for regression). */
  positive_rate: share.nullable(),
  /** The same in the reference (the baseline model's training data or the previous run). */
  baseline_positive_rate: share.nullable(),
  /** What the reference rate is: "training baseline train-v1", "previous run r-…", … */
  baseline_source: z.string().nullable(),
  ok: z.boolean(),
  /** Why labels look incomplete or shifted, in words. */
  warnings: z.array(z.string()),
});
export type LabelSanity = z.infer<typeof LabelSanity>;

/** A declarative gate (`flip_rate < 0.02`, `auc_delta > -0.005`, `p99_ms < 50`) and its outcome. */
export const GateResult = z.object({
  expr: z.string(),
  passed: z.boolean(),
  /** The value the left-hand side evaluated to; null when it could not be computed (the gate then fails). */
  value: z.number().nullable(),
  /** Why it failed or could not be evaluated, in words. */
  message: z.string().optional(),
  // ── additive fields ──
  /** Where the gate was declared (a flag, a gates file or sightline.json, with its line). */
  source: GateSource.optional(),
});
export type GateResult = z.infer<typeof GateResult>;

/** What the numbers depend on beyond the models and the data (nondeterminism is recorded). */
export const ReplayEnvironment = z.object({
  /** The provider each model actually ran on, by `name@version`. */
  execution_providers: z.record(z.string(), z.string()),
  onnxruntime: z.string(),
  sightline: z.string(),
  node: z.string(),
  platform: z.string(),
  cpus: z.number().int().positive().nullable(),
  intra_op_threads: z.number().int().positive().nullable(),
  inter_op_threads: z.number().int().positive().nullable(),
  concurrency: z.number().int().positive(),
  batch_size: z.number().int().positive(),
  /** Tolerance for numeric comparisons. */
  tolerance: z.object({ abs: z.number().nonnegative(), rel: z.number().nonnegative() }),
});
export type ReplayEnvironment = z.infer<typeof ReplayEnvironment>;

/** The bulk scoring pass: every row through both models in batches, read and scored in a pipeline. */
export const ThroughputStats = z.object({
  rows: count,
  /** Model runs: rows × models. */
  model_rows: count,
  seconds: z.number().nonnegative(),
  /** Rows per second through both models (model_rows / seconds). */
  rows_per_s: z.number().nonnegative(),
  batch_size: z.number().int().positive(),
  /** Batches in flight at once in the pipeline. */
  in_flight: z.number().int().positive(),
});
export type ThroughputStats = z.infer<typeof ThroughputStats>;

export const ReplayReport = z.object({
  /** Shape version of this document. */
  schema: z.literal(1),
  kind: z.enum(['replay', 'eval']),
  /** The run's id in the `runs` table. */
  run_id: z.string(),
  started: z.string(),
  ended: z.string(),
  /** Where the rows came from: a trace file (with a window) or a data file. */
  traffic: z.object({
    source: z.string(),
    window: z.string().nullable(),
    rows: count,
  }),
  task: EvaluationTask,
  /** Classification: predicted positive when score ≥ threshold. */
  threshold: z.number().nullable(),
  /** Null for an evaluation of one model. */
  baseline: ReplayModel.nullable(),
  candidate: ReplayModel,
  overall: OverallComparison,
  /** Per slice attribute value and pairs (as failing slices are enumerated), worst delta first. */
  slices: z.array(SliceComparison),
  slice_regressions: z.array(SliceRegression),
  /** Null for an evaluation (nothing to flip against). */
  flips: FlipSummary.nullable(),
  output_difference: OutputDifference.nullable(),
  /** One entry per model run. */
  latency: z.array(LatencyStats),
  prediction_drift: PredictionDrift.nullable(),
  label_sanity: LabelSanity,
  gates: z.array(GateResult),
  /** Every gate passed (true when there are none). */
  passed: z.boolean(),
  environment: ReplayEnvironment,
  warnings: z.array(z.string()),
  // ── additive fields ──
  /** The bulk scoring pass (both models on every row, batched at full speed). */
  throughput: ThroughputStats.optional(),
  /** Rows of the traffic that could not be scored (a feature missing or not finite) and were left out. */
  skipped_rows: count.optional(),
  /** `source` of the replayed predictions logged in the trace (`replay:<run_id>`), null when not logged. */
  prediction_source: z.string().nullable().optional(),
  /** The trace file the run is stored in. */
  trace: z.string().optional(),
  /** The per-row loss slice regressions are judged on (`log_loss`, `zero_one`, `abs_error`), and the test. */
  slice_test: z.object({
    loss: z.string(),
    method: z.string(),
    alpha: z.number(),
    /** The minimum effect applied: the requested one, raised to the tolerance. */
    min_effect: z.number(),
    candidates: count,
  }).nullable().optional(),
});
export type ReplayReport = z.infer<typeof ReplayReport>;

// ── requests (`POST /v1/replay`, `POST /v1/eval`, WebSocket queries `replay` and `eval`) ──────

/** A command that turns raw records (JSON lines on stdin) into model features (JSON lines on stdout). */
export const RunTransform = z.object({
  /** Run without a shell (split like a POSIX shell, no expansion): `node samples/flights/scripts/serving-features.mjs`. */
  command: z.string().min(1).max(4000),
  /** Working directory (default: the workspace root, else the daemon's / CLI's). */
  cwd: z.string().max(4000).optional(),
  timeout_s: z.number().positive().max(86_400).optional(),
});
export type RunTransform = z.infer<typeof RunTransform>;

/** Options shared by replay and eval. Paths are absolute (the daemon's working directory is not the caller's). */
export const RunOptions = z.object({
  /** The workspace folder (sightline.json: feature map for SARIF, baseline, join key, gates); default: found from the model's folder upwards. */
  workspace: z.string().max(4000).optional(),
  /** Raw records → feature records; without it the data holds the model features as columns. */
  transform: RunTransform.optional(),
  /** Column of the true label (default: the model card's label name, when the data has it). */
  label: z.string().max(200).optional(),
  /** Labels from another file, joined on `key`. */
  labels: z.object({ file: z.string().min(1).max(4000), key: z.string().min(1).max(200), column: z.string().max(200).optional() }).optional(),
  /** Column with a row's join key (flight_id): used for labels, examples and logged predictions. Default: sightline.json `joinKey` when present. */
  key: z.string().max(200).optional(),
  /** Slice attributes (default: the model card's `slice_attributes`). */
  slices: z.array(z.string().min(1).max(200)).max(30).optional(),
  /** Classification: predicted positive when score ≥ threshold (default: the card's, else 0.5). */
  threshold: z.number().optional(),
  /** The positive label value (default: the card's, else 1). */
  positive: z.number().optional(),
  /** Only the first N rows of the data. */
  limit: z.number().int().positive().optional(),
  /** Rows per inference call in the bulk pass. */
  batch_size: z.number().int().min(1).max(1_048_576).default(4096),
  /** Calls in flight at once when latency is measured. */
  concurrency: z.number().int().min(1).max(256).default(1),
  /** onnxruntime intra-op threads per session (default: one fewer than the cores, at least 1 — two sessions and the JS thread share the machine). */
  threads: z.number().int().min(1).max(1024).optional(),
  inter_op_threads: z.number().int().min(1).max(1024).optional(),
  provider: ExecutionProvider.optional(),
  /** Latency: this many rows, `latency_batch` rows per call (0 = do not measure). */
  latency_rows: z.number().int().min(0).max(1_000_000).default(1000),
  latency_batch: z.number().int().min(1).max(65_536).default(1),
  /** Outputs equal within abs + rel·|baseline| (nondeterminism between runs and providers). */
  tolerance: z.object({ abs: z.number().nonnegative().default(1e-6), rel: z.number().nonnegative().default(1e-6) }).default({ abs: 1e-6, rel: 1e-6 }),
  alpha: z.number().gt(0).lt(1).default(0.05),
  /** Label sanity: coverage below this, or a positive rate off the reference by more than this factor, is a warning. */
  min_label_coverage: z.number().min(0).max(1).default(0.9),
  max_rate_ratio: z.number().min(1).default(2),
  /** The reference positive rate (default: the workspace baseline's label column, else the previous run's). */
  baseline_positive_rate: z.number().min(0).max(1).optional(),
  max_slices: z.number().int().min(0).max(1000).default(100),
  examples: z.number().int().min(0).max(200).default(20),
  gates: z.array(GateSpec).max(100).default([]),
  /** Log the replayed predictions in the trace (source `replay:<run_id>`). */
  log_predictions: z.boolean().default(true),
  /** Free-form settings kept with the run (the CLI records its command line). */
  note: z.string().max(2000).optional(),
});
export type RunOptions = z.infer<typeof RunOptions>;

export const ReplayRequest = RunOptions.extend({
  /** Captured traffic: a trace file (its logged predictions) or a data file (CSV, Parquet, JSON lines). */
  traffic: z.string().min(1).max(4000),
  /** The candidate model: an .onnx path (or, on the daemon, a loaded model's `name@version`). */
  candidate: z.string().min(1).max(4000),
  /** The current model (default: the model that served the traced traffic, or the previous version in sightline.json). */
  baseline: z.string().min(1).max(4000).optional(),
  /** Trace traffic: which logged predictions (default: the baseline's name, source `served`). */
  window: AnalysisWindow.default({}),
  /** Per-row loss of the slice-regression test (default log_loss for classification, abs_error for regression). */
  slice_loss: SliceLoss.optional(),
  degree: z.number().int().min(1).max(3).default(2),
  min_support: z.number().int().min(2).default(30),
  min_fraction: z.number().min(0).max(1).default(0.005),
  /**
   * A slice regresses only when its mean loss difference exceeds this (besides being significant).
   * Never below the tolerance: the effect applied is max(min_effect, abs + rel·baseline mean loss),
   * and rows whose scores are equal within the tolerance count as no difference.
   */
  min_effect: z.number().min(0).default(0),
});
export type ReplayRequest = z.infer<typeof ReplayRequest>;
export type ReplayRequestInput = z.input<typeof ReplayRequest>;

/** `run_progress` events on the stream while a replay, evaluation or comparison runs. */
export const RunProgress = z.object({
  run_id: z.string(),
  kind: z.enum(['replay', 'eval', 'compare']),
  /** `cancelled` (additive): the run was aborted (client gone, `cancel_run`, SIGINT/SIGTERM) and stored with status `cancelled`. */
  phase: z.enum(['started', 'loading', 'reading', 'scoring', 'latency', 'analysing', 'storing', 'done', 'failed', 'cancelled']),
  /** Units done and total in this phase (rows while scoring). */
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  message: z.string().optional(),
  /** On `done`: whether every gate passed. */
  passed: z.boolean().optional(),
});
export type RunProgress = z.infer<typeof RunProgress>;

/**
 * `status` of a replay/eval run in the `runs` table: `running` while it runs; `ok` every gate
 * passed; `failed` a gate failed; `error` it stopped on an error; `cancelled` (additive) it was
 * aborted — its client went away, it was cancelled (`cancel_run`), or the CLI got SIGINT/SIGTERM.
 * A cancelled run keeps no results and no replayed predictions.
 */
export const ReplayRunStatus = z.enum(['running', 'ok', 'failed', 'error', 'cancelled']);
export type ReplayRunStatus = z.infer<typeof ReplayRunStatus>;

/** `POST /v1/replay/cancel` and the WebSocket query `cancel_run`: abort a replay or eval running on the daemon. */
export const CancelRunRequest = z.object({
  /** The run's id (from its `run_progress` events). */
  run_id: z.string().min(1).max(200),
});
export type CancelRunRequest = z.infer<typeof CancelRunRequest>;

export const CancelRunResult = z.object({
  run_id: z.string(),
  /** True when the run was running here and is being aborted; false when no such run is running. */
  cancelled: z.boolean(),
});
export type CancelRunResult = z.infer<typeof CancelRunResult>;
