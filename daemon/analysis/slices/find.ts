/**
 * Failing-slice discovery inside DuckDB.
 *
 * Candidates are conjunctions of 1..degree predicates over distinct slice attributes: a
 * categorical attribute contributes one predicate per value (and `is_null` for missing values),
 * a numeric attribute one per decile bin (and `is_null`). Bins (bins.ts): edges = the distinct
 * values of the deciles k/10, k = 1..9, of the attribute over the analysed rows (linear
 * interpolation, numpy's default `np.quantile(x, k/10)`, bit for bit — the same edges as drift's
 * PSI/JS bins, binning.ts); bins (−∞, e₁], (e₁, e₂], …, (e_last, ∞); a value's bin is the number
 * of edges strictly below it; NULL, NaN and ±∞ are missing.
 *
 * Three queries, whatever the number of candidates:
 *  1. row counts (analysed rows with a score, with a score and a label);
 *  2. the decile edges of every numeric attribute (one sort each, in one statement);
 *  3. one GROUPING SETS aggregate over the analysed rows with one grouping set per attribute
 *     combination, giving for every candidate n, Σloss, Σ(loss − μ) and Σ(loss − μ)² (μ the
 *     overall mean loss), plus the same over all rows; candidates below the support limit
 *     (max(min_support, ⌈min_fraction·N⌉) rows) are dropped in SQL (HAVING).
 * JavaScript then loops over the aggregate rows only: the rest of a slice is all rows minus the
 * slice, Welch's t-test and the effect size come from those sums (tests.ts), and
 * Benjamini–Hochberg runs across every tested candidate.
 *
 * A candidate is tested when it meets the support limit and leaves ≥ 2 rows outside it. It is a
 * failing slice when its BH-adjusted p-value is ≤ α and its effect size is on the failing side:
 * > 0 (more loss than the rest) for every loss but `score_shift`, whose slices are reported in
 * both directions (ranked by |effect size|). Slices are ranked by effect size, worst first; ties
 * by adjusted p-value, then by size.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FailingSlice, SliceAttribute, SliceCondition, SliceLoss, SliceReport } from '../../../protocol';
import { featureValueSql } from '../feature-values.js';
import { normalMeanInterval, wilsonInterval, type Interval } from '../metrics/intervals.js';
import { readRow, readRows, toNumber, toNumberList, type Row } from '../rows.js';
import { quoteIdentifier } from '../sql.js';
import { binPredicate, binSql, decileEdgeCtes, distinctEdges, edgeListSql } from './bins.js';
import type { FeatureKind } from '../verdict.js';
import { lossSql, usesLabels } from './losses.js';
import { describeSlice } from './predicates.js';
import { benjaminiHochberg, pooledEffectSize, summariesFromSums, welchTest, type GroupSummary } from './tests.js';

export interface SliceAttributeSpec {
  name: string;
  kind: FeatureKind;
}

export interface SliceRequest {
  /** Trusted SQL that may stand after FROM (a quoted table, a parenthesised SELECT, read_parquet(…)). */
  relation: string;
  /** Column of the prediction (score / probability / value). */
  score: string;
  /** Column of the label; absent or null: no labels. */
  label?: string | null;
  attributes: SliceAttributeSpec[];
  /** Default: zero_one (classification) or abs_error (regression); score_shift without labels. */
  loss?: SliceLoss;
  task?: 'binary_classification' | 'regression';
  /** Decision threshold of the score (default 0.5). */
  threshold?: number;
  /** The positive label value (default 1). */
  positive?: number;
  /** Judge slices without labels even when labels exist. */
  noLabels?: boolean;
  degree?: number;
  minSupport?: number;
  minFraction?: number;
  alpha?: number;
  /** At most this many slices in the report (default 100). */
  top?: number;
  /** Report only slices whose |effect size| is at least this (default 0). */
  minEffectSize?: number;
}

export const SLICE_DEFAULTS = { degree: 2, minSupport: 30, minFraction: 0.005, alpha: 0.05, top: 100, threshold: 0.5, positive: 1 } as const;
/** More attributes make the grouping-set count explode (and GROUPING() is a 64-bit mask). */
export const MAX_SLICE_ATTRIBUTES = 30;

/** One tested candidate with every statistic. */
export interface SliceCandidate {
  predicates: SliceCondition[];
  n: number;
  metric: number;
  metric_rest: number;
  variance: number;
  variance_rest: number;
  t: number;
  df: number;
  p_value: number;
  p_adjusted: number;
  effect_size: number;
  ci: Interval;
  support: number;
}

export interface SliceAnalysis {
  loss: SliceLoss;
  labels: boolean;
  /** Analysed rows. */
  n: number;
  metric_overall: number | null;
  min_rows: number;
  degree: number;
  alpha: number;
  attributes: SliceAttribute[];
  /** Every tested candidate (unsorted: in grouping-set order). */
  candidates: SliceCandidate[];
  note?: string;
}

/** Every candidate with its statistics (no filtering by significance): the core of `findSlices`. */
export async function analyseSlices(conn: DuckDBConnection, req: SliceRequest): Promise<SliceAnalysis> {
  const degree = req.degree ?? SLICE_DEFAULTS.degree;
  const minSupport = req.minSupport ?? SLICE_DEFAULTS.minSupport;
  const minFraction = req.minFraction ?? SLICE_DEFAULTS.minFraction;
  const alpha = req.alpha ?? SLICE_DEFAULTS.alpha;
  const threshold = req.threshold ?? SLICE_DEFAULTS.threshold;
  const positive = req.positive ?? SLICE_DEFAULTS.positive;
  if (!Number.isInteger(degree) || degree < 1) throw new Error('degree must be a positive integer');
  if (req.attributes.length === 0) throw new Error('no slice attributes');
  if (req.attributes.length > MAX_SLICE_ATTRIBUTES) throw new Error(`at most ${MAX_SLICE_ATTRIBUTES} slice attributes`);
  if (new Set(req.attributes.map((a) => a.name)).size !== req.attributes.length) throw new Error('slice attributes must be distinct');

  // 1. Which loss: with labels unless told otherwise or none have arrived.
  const counts = await readRow(conn, `WITH ${inputCte(req)} SELECT count(*) FILTER (WHERE __p IS NOT NULL) AS scored, count(*) FILTER (WHERE __p IS NOT NULL AND __y IS NOT NULL) AS labelled FROM input`);
  const scored = toNumber(counts.scored);
  const labelled = toNumber(counts.labelled);
  let loss: SliceLoss;
  let note: string | undefined;
  const defaultLabelled: SliceLoss = req.task === 'regression' ? 'abs_error' : 'zero_one';
  if (req.noLabels || !req.label) {
    loss = req.loss ?? 'score_shift';
    if (usesLabels(loss)) throw new Error(`loss ${loss} needs labels`);
    if (!req.label && !req.noLabels) note = 'no label column: slices by shift of predictions';
  } else if (labelled < minSupport && (req.loss === undefined || !usesLabels(req.loss))) {
    loss = req.loss ?? 'score_shift';
    note = `only ${labelled} labelled row(s): judged without labels (${loss})`;
  } else {
    loss = req.loss ?? defaultLabelled;
  }
  const labels = usesLabels(loss);
  if (labels && labelled < scored) note = `${labelled} of ${scored} scored rows have a label (${((labelled / scored) * 100).toFixed(1)} %): slices are judged on the labelled rows only`;
  const n = labels ? labelled : scored;
  const minRows = Math.max(minSupport, Math.ceil(minFraction * n));
  const lossExpr = lossSql(loss, { threshold, positive });

  // 2. Decile edges of the numeric attributes over the analysed rows.
  const attributes: SliceAttribute[] = req.attributes.map((a) => ({ name: a.name, kind: a.kind }));
  const numeric = attributes.map((a, i) => [a, i] as const).filter(([a]) => a.kind === 'numeric');
  if (numeric.length > 0 && n > 0) {
    const row = await readRow(conn, edgesSql(req, lossExpr, numeric.map(([, i]) => i)));
    for (const [a, i] of numeric) a.edges = distinctEdges(toNumberList(row[`edges_${i}`]));
  } else for (const [a] of numeric) a.edges = [];

  // 3. Sums of every candidate in one GROUPING SETS aggregate.
  const sets = combinations(attributes.length, Math.min(degree, attributes.length));
  const rows = n > 0 ? await readRows(conn, candidatesSql(req, lossExpr, attributes, sets, minRows)) : [];
  const full = (1 << attributes.length) - 1;
  const totalRow = rows.find((r) => toNumber(r.gid) === full);
  const total = totalRow ? sums(totalRow) : { n: 0, sum: 0, centredSum: 0, centredSquares: 0 };

  const tested: Omit<SliceCandidate, 'p_adjusted'>[] = [];
  for (const row of rows) {
    const gid = toNumber(row.gid);
    if (gid === full) continue;
    const group = sums(row);
    if (group.n < Math.max(2, minRows) || total.n - group.n < 2) continue;
    const { slice, rest } = summariesFromSums(group, total);
    const test = welchTest(slice, rest);
    tested.push({
      predicates: predicatesOf(row, gid, attributes),
      n: group.n,
      metric: slice.mean,
      metric_rest: rest.mean,
      variance: slice.variance,
      variance_rest: rest.variance,
      t: test.t,
      df: test.df,
      p_value: test.p_value,
      effect_size: pooledEffectSize(slice, rest),
      ci: interval(loss, slice, group.sum),
      support: group.n / total.n,
    });
  }
  const adjusted = benjaminiHochberg(tested.map((c) => c.p_value));
  return {
    loss,
    labels,
    n: total.n,
    metric_overall: total.n > 0 ? total.sum / total.n : null,
    min_rows: minRows,
    degree,
    alpha,
    attributes,
    candidates: tested.map((c, i) => ({ ...c, p_adjusted: adjusted[i]! })),
    ...(note ? { note } : {}),
  };
}

/** The failing slices: significant after Benjamini–Hochberg, on the failing side, worst first. */
export async function findSlices(conn: DuckDBConnection, req: SliceRequest): Promise<SliceReport> {
  const analysis = await analyseSlices(conn, req);
  return reportOf(analysis, { top: req.top ?? SLICE_DEFAULTS.top, minEffectSize: req.minEffectSize ?? 0 });
}

export function reportOf(analysis: SliceAnalysis, opts: { top: number; minEffectSize: number }): SliceReport {
  const bothWays = analysis.loss === 'score_shift';
  const severity = (c: SliceCandidate): number => (bothWays ? Math.abs(c.effect_size) : c.effect_size);
  const significant = analysis.candidates
    .filter((c) => c.p_adjusted <= analysis.alpha && (bothWays ? c.effect_size !== 0 : c.effect_size > 0) && Math.abs(c.effect_size) >= opts.minEffectSize)
    .sort((a, b) => compareDesc(severity(a), severity(b)) || a.p_adjusted - b.p_adjusted || b.n - a.n || cmp(describeSlice(a.predicates), describeSlice(b.predicates)));
  const slices: FailingSlice[] = significant.slice(0, opts.top).map((c) => ({
    predicates: c.predicates,
    n: c.n,
    metric: c.metric,
    ci: c.ci,
    effect_size: Number.isFinite(c.effect_size) ? c.effect_size : null,
    p_adjusted: c.p_adjusted,
    metric_rest: c.metric_rest,
    p_value: c.p_value,
    t: Number.isFinite(c.t) ? c.t : null,
    df: Number.isFinite(c.df) ? c.df : null,
    support: c.support,
    loss: analysis.loss,
  }));
  return {
    slices,
    loss: analysis.loss,
    labels: analysis.labels,
    n: analysis.n,
    metric_overall: analysis.metric_overall,
    candidates: analysis.candidates.length,
    significant: significant.length,
    alpha: analysis.alpha,
    degree: analysis.degree,
    min_rows: analysis.min_rows,
    attributes: analysis.attributes,
    ...(analysis.note ? { note: analysis.note } : {}),
  };
}

// ── SQL ─────────────────────────────────────────────────────────────────────────

/** `input`: the score, the label and each attribute's value (v0, v1, …) of every row. */
function inputCte(req: SliceRequest): string {
  const number = (column: string) => `TRY_CAST(${quoteIdentifier(column)} AS DOUBLE)`;
  const finite = (expr: string) => `CASE WHEN isfinite(${expr}) THEN ${expr} END`;
  const label = req.label ? finite(number(req.label)) : 'NULL::DOUBLE';
  const values = req.attributes.map((a, i) => `${featureValueSql(a.name, a.kind)} AS v${i}`);
  return `input AS (SELECT ${finite(number(req.score))} AS __p, ${label} AS __y${values.map((v) => `, ${v}`).join('')} FROM ${req.relation} AS sliced_rows)`;
}

/** `base`: the analysed rows (loss not NULL) with the loss and the attribute values. */
function baseCte(req: SliceRequest, lossExpr: string, columns: string[]): string {
  return `base AS MATERIALIZED (
    SELECT * FROM (SELECT ${lossExpr} AS loss${columns.map((c) => `, ${c}`).join('')} FROM input) AS losses WHERE loss IS NOT NULL AND isfinite(loss))`;
}

/** Decile edges (bins.ts) of the numeric attributes i ∈ `numeric` over the analysed rows, as lists edges_i. */
export function edgesSql(req: SliceRequest, lossExpr: string, numeric: number[]): string {
  const ctes = [inputCte(req), baseCte(req, lossExpr, numeric.map((i) => `v${i}`))];
  for (const i of numeric) ctes.push(...decileEdgeCtes('base', `v${i}`, String(i)));
  return `WITH ${ctes.join(',\n  ')}\nSELECT ${numeric.map((i) => edgeListSql(String(i))).join(', ')}`;
}

/** The GROUPING SETS aggregate: one row per candidate (meeting `minRows`) and one for all rows. */
export function candidatesSql(req: SliceRequest, lossExpr: string, attributes: SliceAttribute[], sets: number[][], minRows: number): string {
  const levels = attributes.map((a, i) => (a.kind === 'numeric' ? `${binSql(`v${i}`, a.edges ?? [])} AS k${i}` : `v${i} AS k${i}`));
  const keys = attributes.map((_, i) => `k${i}`);
  const grouping = `GROUPING(${keys.join(', ')})`;
  const full = (1 << attributes.length) - 1;
  const groupingSets = ['()', ...sets.map((s) => `(${s.map((i) => `k${i}`).join(', ')})`)];
  return `WITH ${inputCte(req)},
  ${baseCte(req, lossExpr, levels)},
  totals AS (SELECT favg(loss) AS mu FROM base)
SELECT ${grouping} AS gid, ${keys.join(', ')},
  count(*) AS n, fsum(loss) AS sum_loss,
  fsum(loss - totals.mu) AS centred_sum, fsum((loss - totals.mu) * (loss - totals.mu)) AS centred_squares
FROM base CROSS JOIN totals
GROUP BY GROUPING SETS (${groupingSets.join(', ')})
HAVING count(*) >= ${minRows} OR ${grouping} = ${full}`;
}

// ── rows → candidates ───────────────────────────────────────────────────────────

function sums(row: Row) {
  return {
    n: toNumber(row.n),
    sum: toNumber(row.sum_loss),
    centredSum: toNumber(row.centred_sum),
    centredSquares: toNumber(row.centred_squares),
  };
}

/** The predicates of a candidate row: attribute i is grouped when bit (m − 1 − i) of GROUPING() is 0. */
function predicatesOf(row: Row, gid: number, attributes: SliceAttribute[]): SliceCondition[] {
  const m = attributes.length;
  const out: SliceCondition[] = [];
  attributes.forEach((a, i) => {
    if ((gid >> (m - 1 - i)) & 1) return;
    const key = row[`k${i}`];
    if (key === null || key === undefined) {
      out.push({ feature: a.name, op: 'is_null', value: null });
      return;
    }
    if (a.kind === 'categorical') {
      out.push({ feature: a.name, op: '==', value: String(key) });
      return;
    }
    out.push(binPredicate(a.name, a.edges ?? [], toNumber(key)));
  });
  return out;
}

/** The slice metric's 95 % interval: Wilson for the 0/1 error rate, else normal (≥ 0 for losses). */
function interval(loss: SliceLoss, slice: GroupSummary, sum: number): Interval {
  if (loss === 'zero_one') return wilsonInterval(Math.round(sum), slice.n) ?? [slice.mean, slice.mean];
  const sd = Number.isFinite(slice.variance) ? Math.sqrt(slice.variance) : null;
  return normalMeanInterval(slice.mean, sd, slice.n, { nonNegative: loss !== 'score_shift' }) ?? [slice.mean, slice.mean];
}

/** All subsets of {0..m−1} of size 1..k, smaller first, each ascending. */
export function combinations(m: number, k: number): number[][] {
  const out: number[][] = [];
  const walk = (start: number, chosen: number[], size: number): void => {
    if (chosen.length === size) {
      out.push([...chosen]);
      return;
    }
    for (let i = start; i < m; i++) walk(i + 1, [...chosen, i], size);
  };
  for (let size = 1; size <= k; size++) walk(0, [], size);
  return out;
}

function compareDesc(a: number, b: number): number {
  return a === b ? 0 : a > b ? -1 : 1;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

