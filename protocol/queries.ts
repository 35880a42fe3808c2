import { z } from 'zod';
import { DriftHistogram } from './findings';
import { TraceResult } from './lineage';
import { AnalysisWindow, SliceCondition } from './slices';

/**
 * WebSocket queries the editor's views use (`{ type: 'query', id, method, params }` → `response`,
 * see stream.ts), besides `drift`, `findings`, `skew`, `slices` and `trace` which live with their
 * analyses. The UI never receives rows in bulk: pages of at most 200 predictions, histogram bins,
 * one point per time window.
 *
 * | method            | params                    | result                      |
 * |-------------------|---------------------------|-----------------------------|
 * | `predictions`     | PredictionsQuery          | PredictionsPage             |
 * | `prediction`      | PredictionQuery           | PredictionDetail            |
 * | `drift_timeline`  | DriftTimelineQuery        | DriftTimeline               |
 * | `drift_distribution` | DriftDistributionQuery | DriftDistribution           |
 * | `baselines`       | (none)                    | BaselinesResult             |
 * | `runs`            | RunsQuery                 | RunsResult                  |
 * | `run`             | RunQuery                  | RunResult                   |
 */

const IsoText = z.string().min(1).max(40);
const FeatureScalar = z.union([z.number(), z.string(), z.boolean(), z.null()]);

// ── drift (the existing `drift` query's answer, as views read it) ────────────

/** One feature of a drift report (protocol/drift.ts), read leniently: `metrics` is per kind. */
export const DriftFeatureResult = z.object({
  name: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  n_ref: z.number(),
  n_cur: z.number(),
  missing_ref: z.number(),
  missing_cur: z.number(),
  drift: z.boolean(),
  /** Value of the deciding metric; null = +∞. */
  score: z.number().nullable(),
  method: z.string(),
  threshold: z.number(),
  /** Numeric: ks {statistic, p_value}, wasserstein, wasserstein_norm, psi, js. Categorical: linf, js, psi, chi2 {statistic, dof, p_value}. */
  metrics: z.record(z.string(), z.unknown()),
});
export type DriftFeatureResult = z.infer<typeof DriftFeatureResult>;

/** The answer of the `drift` query (and `POST /v1/drift`). */
export const DriftQueryResult = z.object({
  report: z.object({ features: z.array(DriftFeatureResult), drifted: z.array(z.string()) }),
  findings: z.array(z.unknown()),
  baseline: z.string(),
  window: z.string(),
  modelName: z.string().nullable(),
});
export type DriftQueryResult = z.infer<typeof DriftQueryResult>;

/** Params of the `drift` query (as daemon/findings/routes.ts validates them). */
export const DriftQueryParams = z.object({
  /** A named baseline, `previous` or `week-ago`. */
  baseline: z.string().min(1).max(100),
  window: AnalysisWindow.default({}),
  features: z.array(z.string()).optional(),
  save: z.boolean().default(false),
});
export type DriftQueryParams = z.input<typeof DriftQueryParams>;

// ── drift_distribution ───────────────────────────────────────────────────────

/** Reference vs current distribution of one feature (the bins drift uses), for the drift view. */
export const DriftDistributionQuery = z.object({
  feature: z.string().min(1).max(200),
  baseline: z.string().min(1).max(100),
  window: AnalysisWindow.default({}),
});
export type DriftDistributionQuery = z.input<typeof DriftDistributionQuery>;

export const DriftDistribution = z.object({
  /** The feature as the drift report names it (`prediction`, `label:<name>` for the pseudo-features). */
  feature: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  /** Numeric: decile edges of the reference (k edges → k+1 bins); categorical: top categories + "(other)". `ref`/`cur` are shares. */
  histogram: DriftHistogram,
  /** Rows of each side (before dropping missing values). */
  rows_ref: z.number().int().nonnegative(),
  rows_cur: z.number().int().nonnegative(),
  baseline: z.string(),
  window: z.string(),
});
export type DriftDistribution = z.infer<typeof DriftDistribution>;

// ── drift_timeline ───────────────────────────────────────────────────────────

export const TimelineBucket = z.enum(['day', 'week']);
export type TimelineBucket = z.infer<typeof TimelineBucket>;

/**
 * The drift score of one feature per time window (day or week) against a baseline: the newest
 * `max_windows` windows that hold predictions within `window`, each a full drift computation.
 */
export const DriftTimelineQuery = z.object({
  feature: z.string().min(1).max(200),
  baseline: z.string().min(1).max(100),
  window: AnalysisWindow.default({}),
  bucket: TimelineBucket.default('day'),
  /** Bounded: each window is one drift computation. */
  max_windows: z.number().int().min(1).max(90).default(31),
});
export type DriftTimelineQuery = z.input<typeof DriftTimelineQuery>;

export const DriftTimelinePoint = z.object({
  /** [start, end) of the window, ISO. */
  start: z.string(),
  end: z.string(),
  /** Predictions in the window and non-missing values compared. */
  rows: z.number().int().nonnegative(),
  n_cur: z.number().int().nonnegative(),
  /** Value of the deciding metric (null = +∞); `method` names it (it may differ between windows). */
  score: z.number().nullable(),
  method: z.string(),
  threshold: z.number(),
  drift: z.boolean(),
});
export type DriftTimelinePoint = z.infer<typeof DriftTimelinePoint>;

export const DriftTimeline = z.object({
  feature: z.string(),
  baseline: z.string(),
  bucket: TimelineBucket,
  points: z.array(DriftTimelinePoint),
  /** Windows with predictions beyond `max_windows` (oldest dropped). */
  truncated: z.number().int().nonnegative(),
});
export type DriftTimeline = z.infer<typeof DriftTimeline>;

// ── baselines ────────────────────────────────────────────────────────────────

export const BaselineSummary = z.object({
  name: z.string(),
  source: z.string(),
  rows: z.number().int().nonnegative(),
  created: z.string(),
  features: z.array(z.object({ name: z.string(), kind: z.string() })),
});
export type BaselineSummary = z.infer<typeof BaselineSummary>;

export const BaselinesResult = z.object({
  baselines: z.array(BaselineSummary),
  /** Baselines computed from the trace itself (need a bounded window). */
  relative: z.array(z.enum(['previous', 'week-ago'])),
});
export type BaselinesResult = z.infer<typeof BaselinesResult>;

// ── predictions (the explorer: one page at a time) ───────────────────────────

export const PREDICTIONS_MAX_PAGE_SIZE = 200;

export const PredictionFilters = z.object({
  /** `name` or `name@version`. */
  model: z.string().max(300).optional(),
  /** ISO times, [since, until). */
  since: IsoText.optional(),
  until: IsoText.optional(),
  /** `served`, `shadow`, `imported`, `replay:<run>`; default: any source. */
  source: z.string().max(100).optional(),
  /** Only predictions whose label has arrived (true) or not (false). */
  labelled: z.boolean().optional(),
  score_min: z.number().optional(),
  score_max: z.number().optional(),
  /** A slice: every predicate must hold (as failing slices report them). */
  predicates: z.array(SliceCondition).max(10).optional(),
});
export type PredictionFilters = z.infer<typeof PredictionFilters>;

export const PredictionsSort = z.enum(['time_desc', 'time_asc', 'score_desc', 'score_asc']);
export type PredictionsSort = z.infer<typeof PredictionsSort>;

export const PredictionsQuery = z.object({
  /** 0-based. */
  page: z.number().int().min(0).max(1_000_000).default(0),
  page_size: z.number().int().min(1).max(PREDICTIONS_MAX_PAGE_SIZE).default(50),
  filters: PredictionFilters.default({}),
  sort: PredictionsSort.default('time_desc'),
  /** Feature columns to include per row (default: the first 4 features of the model card). */
  features: z.array(z.string().max(200)).max(12).optional(),
});
export type PredictionsQuery = z.input<typeof PredictionsQuery>;

export const PredictionRow = z.object({
  id: z.string(),
  time: z.string(),
  model: z.string(),
  version: z.string(),
  source: z.string(),
  score: z.number().nullable(),
  /** The predicted class, when the model outputs one. */
  label_pred: z.string().nullable(),
  /** The true label, when it has arrived. */
  label: z.number().nullable(),
  latency_ms: z.number().nullable(),
  features: z.record(z.string(), FeatureScalar),
});
export type PredictionRow = z.infer<typeof PredictionRow>;

export const PredictionsPage = z.object({
  rows: z.array(PredictionRow),
  /** Rows matching the filters (all pages). */
  total: z.number().int().nonnegative(),
  page: z.number().int().nonnegative(),
  page_size: z.number().int().positive(),
  /** The feature columns in `rows[].features`, in order. */
  features: z.array(z.string()),
  /** Models with predictions in the trace (for the model filter), with their counts. */
  models: z.array(z.object({ name: z.string(), version: z.string(), n: z.number().int().nonnegative() })),
});
export type PredictionsPage = z.infer<typeof PredictionsPage>;

// ── prediction (one, with its inputs and its trace) ──────────────────────────

export const PredictionQuery = z.object({
  id: z.string().min(1).max(100),
  /** Also trace its lineage (default true). */
  trace: z.boolean().default(true),
});
export type PredictionQuery = z.input<typeof PredictionQuery>;

export const PredictionDetail = z.object({
  id: z.string(),
  time: z.string(),
  model: z.object({ id: z.string(), name: z.string(), version: z.string() }),
  source: z.string(),
  execution_provider: z.string().nullable(),
  latency_ms: z.number().nullable(),
  request_id: z.string().nullable(),
  join_key: z.string().nullable(),
  score: z.number().nullable(),
  label_pred: z.string().nullable(),
  /** Model inputs by feature name (the model card's features, in its order). */
  inputs: z.record(z.string(), FeatureScalar),
  /** Extra attributes logged for slicing. */
  attributes: z.record(z.string(), FeatureScalar),
  /** Every output of the row, by ONNX output name. */
  outputs: z.record(z.string(), z.unknown()),
  /** The raw request, when the daemon logs raw inputs. */
  raw: z.unknown().nullable(),
  label: z
    .object({ value: z.number().nullable(), text: z.string().nullable(), time: z.string(), source: z.string().nullable() })
    .nullable(),
  flags: z.array(z.object({ reason: z.string().nullable(), time: z.string(), source: z.string().nullable() })),
  /** Its lineage (prediction → model → training run → data and code); null when not asked or not available. */
  trace: TraceResult.nullable(),
  trace_error: z.string().optional(),
});
export type PredictionDetail = z.infer<typeof PredictionDetail>;

// ── runs (replay / eval results) ─────────────────────────────────────────────

export const RunsQuery = z.object({
  kind: z.enum(['replay', 'eval', 'compare']).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type RunsQuery = z.input<typeof RunsQuery>;

export const RunSummary = z.object({
  id: z.string(),
  kind: z.string(),
  started: z.string().nullable(),
  ended: z.string().nullable(),
  status: z.string().nullable(),
  settings: z.unknown().nullable(),
  /** Gates passed (true), one failed (false), none declared (null). */
  passed: z.boolean().nullable(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunsResult = z.object({ runs: z.array(RunSummary) });
export type RunsResult = z.infer<typeof RunsResult>;

export const RunQuery = z.object({ id: z.string().min(1).max(200) });
export type RunQuery = z.input<typeof RunQuery>;

export const RunResult = z.object({
  run: RunSummary.extend({
    /** A `ReplayReport` (replay.ts) for replay and eval runs. */
    results: z.unknown().nullable(),
    gates: z.unknown().nullable(),
  }),
});
export type RunResult = z.infer<typeof RunResult>;
