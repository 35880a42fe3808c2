/**
 * The analyses of a replay or evaluation, all in DuckDB over `sl_rows` (the input rows joined
 * with their scores): flips, output differences, metrics and paired deltas overall and per slice,
 * slice regressions, drift of the candidate's scores against the baseline's. JavaScript reads
 * aggregates (one row per group or slice) and a few dozen example rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type {
  EvaluationReport, EvaluationTask, FlipExample, FlipSummary, MetricSet, OutputDifference, PredictionDrift,
  SliceComparison, SliceCondition, SliceLoss, SliceRegression,
} from '../../protocol';
import { computeDrift, type FeatureKind } from '../analysis';
import { evaluate, stackedSql } from '../analysis/metrics';
import { Z95 } from '../analysis/metrics/intervals';
import { readRow, readRows, toNullableNumber, toNumber } from '../analysis/rows';
import { analyseSlices, attributeLevels, benjaminiHochberg, conjunctionSql, describeSlice, lossSql, twoSidedTPValue } from '../analysis/slices';
import { doubleLiteral } from '../analysis/sql';
import { featureHistogram } from '../findings/histogram';
import { ident } from '../store/sql';
import { deltasOf, DIRECTION, pairedAggregates, type Tolerance } from './deltas';
import type { InputColumn } from './input';

export const ROWS_VIEW = 'sl_rows';

export type { Tolerance } from './deltas';

export interface AnalysisContext {
  conn: DuckDBConnection;
  task: EvaluationTask;
  threshold: number;
  positive: number;
  tolerance: Tolerance;
  /** Replay: both models (b_, c_ columns); eval: the candidate only. */
  paired: boolean;
  features: InputColumn[];
  attributes: InputColumn[];
  kinds: ReadonlyMap<string, FeatureKind>;
}

/** `sl_rows`: every scored row with its input, label and scores (and replayed ids when logged). */
export async function createRowsView(conn: DuckDBConnection, withIds: boolean): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP VIEW ${ROWS_VIEW} AS
    SELECT i.*, s.* EXCLUDE (__row)${withIds ? ', ids.id_b, ids.id_c' : ', NULL::VARCHAR AS id_b, NULL::VARCHAR AS id_c'}
    FROM sl_input AS i JOIN sl_scores AS s ON s.__row = i.__row${withIds ? ' LEFT JOIN sl_ids AS ids ON ids.__row = i.__row' : ''}`);
}

/** SQL: the 0/1 label of a classification row (NULL without a label). */
function y01(ctx: AnalysisContext): string {
  return ctx.task === 'binary_classification' ? `(CASE WHEN __label IS NULL THEN NULL WHEN __label = ${doubleLiteral(ctx.positive)} THEN 1.0 ELSE 0.0 END)` : '__label';
}

/** SQL: the row's outputs differ beyond the tolerance (and, for classification, its predicted class differs). */
export function flipSql(ctx: Pick<AnalysisContext, 'task' | 'threshold' | 'tolerance'>): string {
  const differs = `abs(c_score - b_score) > ${doubleLiteral(ctx.tolerance.abs)} + ${doubleLiteral(ctx.tolerance.rel)} * abs(b_score)`;
  if (ctx.task === 'regression') return `(${differs})`;
  const t = doubleLiteral(ctx.threshold);
  return `((b_score >= ${t}) <> (c_score >= ${t}) AND ${differs})`;
}

// ── flips and output differences ────────────────────────────────────────────

export async function computeFlips(ctx: AnalysisContext, examples: number): Promise<FlipSummary> {
  const flip = flipSql(ctx);
  const t = doubleLiteral(ctx.threshold);
  const y = y01(ctx);
  const up = ctx.task === 'regression' ? 'c_score > b_score' : `c_score >= ${t}`;
  const right = (side: 'b' | 'c'): string => (ctx.task === 'regression' ? `abs(${side}_score - __label) < abs(${side === 'b' ? 'c' : 'b'}_score - __label)` : `((${side}_score >= ${t}) = (${y} = 1))`);
  const row = await readRow(ctx.conn, `SELECT count(*) AS n,
      count(*) FILTER (WHERE ${flip}) AS flips,
      count(*) FILTER (WHERE ${flip} AND ${up}) AS to_positive,
      count(*) FILTER (WHERE ${flip} AND NOT (${up})) AS to_negative,
      count(*) FILTER (WHERE ${flip} AND __label IS NOT NULL AND ${right('c')}) AS fixed,
      count(*) FILTER (WHERE ${flip} AND __label IS NOT NULL AND ${right('b')}) AS broken
    FROM ${ROWS_VIEW} WHERE b_score IS NOT NULL AND c_score IS NOT NULL`);
  const n = toNumber(row.n);
  const count = toNumber(row.flips);
  const featureCols = ctx.features.map((f) => f.name);
  const ex = examples > 0 && count > 0
    ? await readRows(ctx.conn, `SELECT id_c, __source_id, __key, b_score, c_score, b_label, c_label, __label${featureCols.map((f) => `, ${ident(f)}`).join('')}
        FROM ${ROWS_VIEW} WHERE b_score IS NOT NULL AND c_score IS NOT NULL AND ${flip}
        ORDER BY abs(c_score - b_score) DESC, __row LIMIT ${Math.floor(examples)}`)
    : [];
  const list: FlipExample[] = ex.map((r) => ({
    prediction_id: r.id_c !== null && r.id_c !== undefined ? String(r.id_c) : r.__source_id !== null && r.__source_id !== undefined ? String(r.__source_id) : null,
    join_key: r.__key === null || r.__key === undefined ? null : String(r.__key),
    baseline_score: toNullableNumber(r.b_score),
    candidate_score: toNullableNumber(r.c_score),
    baseline_label: labelValue(r.b_label) ?? (ctx.task === 'binary_classification' ? (Number(r.b_score) >= ctx.threshold ? 1 : 0) : null),
    candidate_label: labelValue(r.c_label) ?? (ctx.task === 'binary_classification' ? (Number(r.c_score) >= ctx.threshold ? 1 : 0) : null),
    label: toNullableNumber(r.__label),
    features: Object.fromEntries(featureCols.map((f) => [f, scalar(r[f])])),
  }));
  return {
    n,
    count,
    rate: n > 0 ? count / n : 0,
    to_positive: toNumber(row.to_positive),
    to_negative: toNumber(row.to_negative),
    fixed: toNumber(row.fixed),
    broken: toNumber(row.broken),
    examples: list,
  };
}

export async function computeOutputDifference(ctx: AnalysisContext): Promise<OutputDifference> {
  return outputDifferenceOf(ctx, await readRow(ctx.conn, `SELECT ${outputDifferenceSql(ctx)} FROM ${ROWS_VIEW}`));
}

/**
 * SQL aggregates of candidate − baseline (over any relation with b_score, c_score; per group
 * under a GROUP BY): od_n, od_non_finite, od_mean, od_mean_abs, od_q (p50, p95, p99 of |Δ|),
 * od_max_abs, od_within. NaN and ±Inf scores are stored as NULL (score.ts), so they count as
 * non-finite and stay out of the statistics.
 */
function outputDifferenceSql(ctx: Pick<AnalysisContext, 'tolerance'>): string {
  const within = `abs(c_score - b_score) <= ${doubleLiteral(ctx.tolerance.abs)} + ${doubleLiteral(ctx.tolerance.rel)} * abs(b_score)`;
  return `count(*) FILTER (WHERE b_score IS NOT NULL AND c_score IS NOT NULL) AS od_n,
      count(*) FILTER (WHERE b_score IS NULL OR c_score IS NULL) AS od_non_finite,
      favg(c_score - b_score) AS od_mean, favg(abs(c_score - b_score)) AS od_mean_abs,
      quantile_cont(abs(c_score - b_score), [0.5, 0.95, 0.99]) AS od_q, max(abs(c_score - b_score)) AS od_max_abs,
      count(*) FILTER (WHERE ${within}) AS od_within`;
}

/** The OutputDifference of one row of `outputDifferenceSql`'s aggregates. */
function outputDifferenceOf(ctx: Pick<AnalysisContext, 'tolerance'>, row: Record<string, unknown>): OutputDifference {
  const n = toNumber(row.od_n);
  const q = (Array.isArray(row.od_q) ? row.od_q : []).map((v) => Number(v));
  return {
    n,
    mean: toNullableNumber(row.od_mean) ?? 0,
    mean_abs: toNullableNumber(row.od_mean_abs) ?? 0,
    p50_abs: q[0] ?? 0,
    p95_abs: q[1] ?? 0,
    p99_abs: q[2] ?? 0,
    max_abs: toNullableNumber(row.od_max_abs) ?? 0,
    tolerance: { abs: ctx.tolerance.abs, rel: ctx.tolerance.rel },
    within_tolerance: n > 0 ? toNumber(row.od_within) / n : 0,
    non_finite: toNumber(row.od_non_finite),
  };
}

// ── metrics overall and per slice ───────────────────────────────────────────

export interface MetricsResult {
  overall: { n: number; baseline: MetricSet | null; candidate: MetricSet; deltas: SliceComparison['deltas'] };
  slices: SliceComparison[];
  candidateReport: EvaluationReport;
}

/** The one-predicate slices of the attributes (each category, each decile bin), over the scored rows. */
export async function sliceLevels(ctx: AnalysisContext): Promise<SliceCondition[][]> {
  const levels = await attributeLevels(ctx.conn, ROWS_VIEW, ctx.attributes.map((a) => ({ name: a.name, kind: a.kind })));
  return levels.map((l) => l.predicates);
}

/**
 * Metrics of both models, paired deltas, flip rates and output differences, overall (group 0)
 * and per slice (group i = groups[i − 1]). `sl_rows` is scanned once: its rows are stacked once
 * per group they belong to into the temporary table `sl_stack` (g, scores, label; `stackedSql`),
 * and every query after that is a GROUP BY g over it.
 */
export async function computeMetrics(ctx: AnalysisContext, groups: SliceCondition[][]): Promise<MetricsResult> {
  const scores = ctx.paired ? ['b_score', 'c_score'] : ['c_score'];
  await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${STACK_TABLE} AS ${stackedSql(ROWS_VIEW, groups, [...scores, '__label'], ctx.kinds)}`);
  try {
    return await metricsOfStack(ctx, groups);
  } finally {
    await ctx.conn.run(`DROP TABLE IF EXISTS ${STACK_TABLE}`);
  }
}

const STACK_TABLE = 'sl_stack';

async function metricsOfStack(ctx: AnalysisContext, groups: SliceCondition[][]): Promise<MetricsResult> {
  const common = { relation: STACK_TABLE, grouped: 'g', label: '__label', task: ctx.task, threshold: ctx.threshold, positive: ctx.positive, slices: groups, kinds: ctx.kinds };
  const candidate = await evaluate(ctx.conn, { ...common, score: 'c_score' });
  const baseline = ctx.paired ? await evaluate(ctx.conn, { ...common, score: 'b_score' }) : null;
  const y = y01(ctx);
  const paired = ctx.paired
    ? await pairedAggregates(ctx.conn, [`scored AS MATERIALIZED (SELECT g, b_score AS pb, c_score AS pc, ${y} AS y FROM ${STACK_TABLE} WHERE b_score IS NOT NULL AND c_score IS NOT NULL AND __label IS NOT NULL)`], ctx.task, ctx.threshold)
    : new Map();
  const flip = ctx.paired ? flipSql(ctx) : 'false';
  const counts = await readRows(ctx.conn, `
    SELECT g, count(*) AS n, count(*) FILTER (WHERE __label IS NOT NULL) AS labelled,
      count(*) FILTER (WHERE ${ctx.paired ? 'b_score IS NOT NULL AND c_score IS NOT NULL' : 'false'}) AS both, count(*) FILTER (WHERE ${flip}) AS flips${ctx.paired ? `,
      ${outputDifferenceSql(ctx)}` : ''}
    FROM ${STACK_TABLE} GROUP BY g`);
  const byGroup = new Map(counts.map((r) => [toNumber(r.g), r]));
  const deltas = (g: number, b: MetricSet | null, c: MetricSet) => (b ? deltasOf(ctx.task, b, c, paired.get(g), ctx.tolerance) : []);
  const overall = {
    n: candidate.overall.n,
    baseline: baseline?.overall ?? null,
    candidate: candidate.overall,
    deltas: deltas(0, baseline?.overall ?? null, candidate.overall),
  };
  const slices: SliceComparison[] = groups.map((predicates, i) => {
    const g = i + 1;
    const c = candidate.slices[i]!.metrics;
    const b = baseline ? baseline.slices[i]!.metrics : null;
    const d = deltas(g, b, c);
    const cnt = byGroup.get(g);
    const both = cnt ? toNumber(cnt.both) : 0;
    return {
      predicates,
      n: cnt ? toNumber(cnt.n) : 0,
      labelled: cnt ? toNumber(cnt.labelled) : 0,
      baseline: b,
      candidate: c,
      deltas: d,
      flip_rate: ctx.paired && both > 0 ? toNumber(cnt!.flips) / both : null,
      output_difference: ctx.paired && cnt ? outputDifferenceOf(ctx, cnt) : null,
      regression: d.some((x) => x.regression),
    };
  });
  return { overall, slices, candidateReport: candidate };
}

/** Slices, worst first: by the primary delta (AUC drop, or MAE rise), else by flip rate. */
export function rankSlices(slices: SliceComparison[], task: EvaluationTask): SliceComparison[] {
  const primary = task === 'regression' ? 'mae' : 'roc_auc';
  const badness = (s: SliceComparison): number => {
    const d = s.deltas.find((x) => x.metric === primary);
    if (d && d.delta !== null) return DIRECTION[primary] === 'higher' ? -d.delta : d.delta;
    return Number.NEGATIVE_INFINITY;
  };
  return [...slices].sort((a, b) => {
    const x = badness(b) - badness(a);
    if (Number.isFinite(x) && x !== 0) return x;
    if (badness(a) !== badness(b)) return badness(a) === Number.NEGATIVE_INFINITY ? 1 : -1;
    return (b.flip_rate ?? -1) - (a.flip_rate ?? -1) || b.n - a.n || (describeSlice(a.predicates) < describeSlice(b.predicates) ? -1 : 1);
  });
}

// ── slice regressions ───────────────────────────────────────────────────────

export interface SliceTestOptions {
  loss: SliceLoss;
  alpha: number;
  minEffect: number;
  degree: number;
  minSupport: number;
  minFraction: number;
  top: number;
}

export interface SliceTestResult {
  regressions: SliceRegression[];
  candidates: number;
  /** The minimum effect applied (the asked one, raised to the tolerance). */
  minEffect?: number;
  note?: string;
}

/** Per-row loss of one model's score column, as SQL over `sl_rows`. */
export function rowLossSql(ctx: Pick<AnalysisContext, 'threshold' | 'positive'>, loss: SliceLoss, side: 'b' | 'c'): string {
  return lossSql(loss, { threshold: ctx.threshold, positive: ctx.positive }).replaceAll('__p', `${side}_score`).replaceAll('__y', '__label');
}

/**
 * Slices where the candidate's per-row loss is significantly above the baseline's on the same
 * rows: d = loss_candidate − loss_baseline per labelled row; every candidate slice (conjunctions
 * of up to `degree` attribute values or decile bins, ≥ min support, as failing slices are
 * enumerated) gets a paired t-test of mean d = 0 (t = mean·√n / s, n − 1 degrees of freedom, two
 * sided); p-values are adjusted by Benjamini–Hochberg across all candidates; a slice regresses
 * when its adjusted p ≤ α and its mean d > the minimum effect.
 *
 * The run's numeric tolerance applies: a row whose two scores are equal within abs + rel·|baseline|
 * has d = 0 (its loss difference is nondeterminism, not a regression), and the minimum effect is
 * at least abs + rel·(the baseline's mean loss), so last-bit differences never make a regression.
 */
export async function sliceRegressions(ctx: AnalysisContext, opts: SliceTestOptions, locate: (feature: string) => SliceRegression['locations']): Promise<SliceTestResult> {
  if (ctx.attributes.length === 0) return { regressions: [], candidates: 0, note: 'no slice attributes' };
  const lb = rowLossSql(ctx, opts.loss, 'b');
  const lc = rowLossSql(ctx, opts.loss, 'c');
  const labelled = `__label IS NOT NULL AND b_score IS NOT NULL AND c_score IS NOT NULL`;
  const same = `abs(c_score - b_score) <= ${doubleLiteral(ctx.tolerance.abs)} + ${doubleLiteral(ctx.tolerance.rel)} * abs(b_score)`;
  const relation = `(SELECT *, CASE WHEN ${same} THEN 0.0 ELSE (${lc}) - (${lb}) END AS __dloss FROM ${ROWS_VIEW} WHERE ${labelled})`;
  const baseLoss = toNullableNumber((await readRow(ctx.conn, `SELECT favg(${lb}) AS m FROM ${ROWS_VIEW} WHERE ${labelled}`))?.m);
  const minEffect = effectiveMinEffect(opts.minEffect, ctx.tolerance, baseLoss);
  const analysis = await analyseSlices(ctx.conn, {
    relation,
    score: '__dloss',
    label: null,
    noLabels: true,
    loss: 'score_shift',
    attributes: ctx.attributes.map((a) => ({ name: a.name, kind: a.kind })),
    degree: opts.degree,
    minSupport: opts.minSupport,
    minFraction: opts.minFraction,
    alpha: opts.alpha,
  });
  if (analysis.n === 0) return { regressions: [], candidates: 0, minEffect, note: 'no labelled rows: slice regressions need labels' };
  const tested = analysis.candidates.map((c) => {
    const sd = Number.isFinite(c.variance) ? Math.sqrt(Math.max(0, c.variance)) : NaN;
    const t = sd > 0 ? (c.metric * Math.sqrt(c.n)) / sd : c.metric === 0 ? NaN : c.metric > 0 ? Infinity : -Infinity;
    const p = twoSidedTPValue(t, c.n - 1);
    const half = Number.isFinite(sd) ? (Z95 * sd) / Math.sqrt(c.n) : NaN;
    return { c, p: Number.isFinite(p) ? p : 1, ci: Number.isFinite(half) ? ([c.metric - half, c.metric + half] as [number, number]) : null };
  });
  const adjusted = benjaminiHochberg(tested.map((x) => x.p));
  const found = tested
    .map((x, i) => ({ ...x, p_adjusted: adjusted[i]! }))
    .filter((x) => x.p_adjusted <= opts.alpha && x.c.metric > minEffect)
    .sort((a, b) => b.c.metric - a.c.metric || a.p_adjusted - b.p_adjusted || b.c.n - a.c.n);
  const top = found.slice(0, opts.top);
  // Each model's mean loss in the regressed slices (one query).
  const means = top.length
    ? await readRows(ctx.conn, top.map((x, i) => `SELECT ${i} AS i, favg(${lb}) AS b, favg(${lc}) AS c FROM ${ROWS_VIEW} WHERE __label IS NOT NULL AND b_score IS NOT NULL AND c_score IS NOT NULL AND ${conjunctionSql(x.c.predicates, ctx.kinds)}`).join('\nUNION ALL '))
    : [];
  const byIndex = new Map(means.map((r) => [toNumber(r.i), r]));
  const regressions: SliceRegression[] = top.map((x, i) => {
    const m = byIndex.get(i);
    const features = [...new Set(x.c.predicates.map((p) => p.feature))];
    const locations = features.flatMap((f) => locate(f) ?? []);
    return {
      predicates: x.c.predicates,
      n: x.c.n,
      metric: opts.loss,
      baseline: m ? toNullableNumber(m.b) : null,
      candidate: m ? toNullableNumber(m.c) : null,
      delta: x.c.metric,
      ci: x.ci,
      p_adjusted: Math.min(1, Math.max(0, x.p_adjusted)),
      locations,
    };
  });
  return { regressions, candidates: tested.length, minEffect, ...(analysis.note ? { note: analysis.note } : {}) };
}

/** The minimum rise of a slice's mean loss that can count: the one asked for, and never below the tolerance. */
export function effectiveMinEffect(asked: number, tolerance: Tolerance, baselineMeanLoss: number | null): number {
  return Math.max(asked, tolerance.abs + tolerance.rel * Math.abs(baselineMeanLoss ?? 0));
}

// ── drift of the candidate's scores against the baseline's ───────────────────

export async function predictionDrift(ctx: AnalysisContext): Promise<PredictionDrift | null> {
  const reference = `(SELECT b_score AS score FROM ${ROWS_VIEW})`;
  const current = `(SELECT c_score AS score FROM ${ROWS_VIEW})`;
  const report = await computeDrift(ctx.conn, { reference, current, features: [{ name: 'score', kind: 'numeric' }] });
  const f = report.features[0];
  if (!f) return null;
  const histogram = await featureHistogram(ctx.conn, reference, current, 'score', 'numeric');
  return { method: f.method, score: f.score, threshold: f.threshold, drift: f.drift, metrics: f.metrics as Record<string, unknown>, histogram };
}

// ── helpers ─────────────────────────────────────────────────────────────────

function labelValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  const n = Number(s);
  return s.trim() !== '' && Number.isFinite(n) ? n : s;
}

function scalar(v: unknown): number | string | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}
