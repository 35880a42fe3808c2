/**
 * Distribution skew: training vs serving values of each feature, compared as distributions —
 * L∞ over the category shares (categorical) and Jensen–Shannon distance over the training
 * deciles (numeric), binned exactly as drift bins them (binning.ts: numpy's decile edges,
 * bins (−∞, e1], …, (e_last, ∞); categorical-drift.ts: the categories of R ∪ C).
 *
 * One DuckDB query per feature returns ≤ 10 counts per side (numeric) or one count per category;
 * JavaScript derives the distances from those. Numeric features need only the order statistics
 * of the training side around each decile, so only that side is sorted (drift sorts both
 * samples pooled because KS and Wasserstein need the joint CDF; skew does not).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { binCounts, decileEdgesSql, decileIndexSql, edgeRowSql, histogramBinCountsSql } from '../binning.js';
import { categoricalDriftSql } from '../categorical-drift.js';
import { chiSquareHomogeneity } from '../chi-square.js';
import { jensenShannonDistance, linfDistance, proportions } from '../divergence.js';
import { featureValueSql } from '../feature-values.js';
import { readRow, toNumber, toNumberList } from '../rows.js';
import type { FeatureKind } from '../verdict.js';
import { decideDistributionSkew, rankSkew, resolveThresholds, type SkewThresholdValues } from './verdict.js';

export interface SkewFeatureSpec {
  /** Column name on both sides (any text; it is quoted). */
  name: string;
  kind: FeatureKind;
  thresholds?: Partial<SkewThresholdValues>;
}

export interface DistributionSkewRequest {
  /** Trusted SQL that may stand after FROM (see DriftRequest): the training and the serving data. */
  training: string;
  serving: string;
  features: SkewFeatureSpec[];
  /** Overrides for every feature (a feature's own `thresholds` win). */
  thresholds?: Partial<SkewThresholdValues>;
}

export interface DistributionSkewEntry {
  name: string;
  mode: 'distribution';
  kind: FeatureKind;
  skew: boolean;
  score: number;
  metric: 'linf' | 'js';
  threshold: number;
  n_training: number;
  n_serving: number;
  missing_training: number;
  missing_serving: number;
  metrics: { js: number | null; linf?: number | null; p_value: number | null };
}

export interface DistributionSkewResult {
  features: DistributionSkewEntry[];
  skewed: string[];
  rows_training: number;
  rows_serving: number;
}

/** Bin (or category) counts of both sides, aligned, with the row totals. */
export interface BinnedSample {
  rows_training: number;
  rows_serving: number;
  training: number[];
  serving: number[];
}

export async function computeDistributionSkew(conn: DuckDBConnection, request: DistributionSkewRequest): Promise<DistributionSkewResult> {
  const entries: DistributionSkewEntry[] = [];
  let rowsTraining = 0;
  let rowsServing = 0;
  // Sequential on purpose: DuckDB already uses every core inside each query.
  for (const feature of request.features) {
    const binned = feature.kind === 'numeric'
      ? numericBins(await readRow(conn, numericSkewSql(request.training, request.serving, feature.name)))
      : categoryCounts(await readRow(conn, categoricalDriftSql(request.training, request.serving, feature.name)));
    rowsTraining = binned.rows_training;
    rowsServing = binned.rows_serving;
    entries.push(distributionEntry(feature.name, feature.kind, binned, resolveThresholds(request.thresholds, feature.thresholds)));
  }
  return { ...rankSkew(entries), rows_training: rowsTraining, rows_serving: rowsServing };
}

/**
 * The entry of one feature from its binned counts: proportions over the non-missing values of
 * each side, JS (both kinds), L∞ (categorical), the χ² homogeneity p-value over the same bins.
 */
export function distributionEntry(name: string, kind: FeatureKind, binned: BinnedSample, thresholds: SkewThresholdValues): DistributionSkewEntry {
  const n = binned.training.reduce((s, c) => s + c, 0);
  const m = binned.serving.reduce((s, c) => s + c, 0);
  let js: number | null = null;
  let linf: number | null = null;
  let pValue: number | null = null;
  if (n > 0 && m > 0) {
    const p = proportions(binned.training, n);
    const q = proportions(binned.serving, m);
    js = jensenShannonDistance(p, q);
    linf = linfDistance(p, q);
    pValue = chiSquareHomogeneity(binned.training, binned.serving)?.p_value ?? null;
  }
  const verdict = decideDistributionSkew(kind, js === null ? null : { js, linf }, { n, m, pValue }, thresholds);
  return {
    name,
    mode: 'distribution',
    kind,
    ...verdict,
    n_training: n,
    n_serving: m,
    missing_training: missingShare(binned.rows_training, n),
    missing_serving: missingShare(binned.rows_serving, m),
    metrics: kind === 'categorical' ? { js, linf, p_value: pValue } : { js, p_value: pValue },
  };
}

function missingShare(rows: number, values: number): number {
  return rows === 0 ? 0 : (rows - values) / rows;
}

/** Counts per decile bin of both sides from a `numericSkewSql` row (bins between equal edges dropped). */
export function numericBins(row: Record<string, unknown>): BinnedSample {
  const rows = { rows_training: toNumber(row.rows_ref), rows_serving: toNumber(row.rows_cur) };
  const edges = toNumberList(row.edges);
  if (toNumber(row.n_ref) === 0 || edges.length === 0) {
    return { ...rows, training: [0], serving: [toNumber(row.n_cur)] };
  }
  const bins = toNumberList(row.bins);
  const byBin = (counts: number[]) => new Map(bins.map((bin, i) => [bin, counts[i] ?? 0]));
  return {
    ...rows,
    training: binCounts(edges, byBin(toNumberList(row.ref_bin_counts))),
    serving: binCounts(edges, byBin(toNumberList(row.cur_bin_counts))),
  };
}

/** Counts per category of both sides from a `categoricalDriftSql` row. */
export function categoryCounts(row: Record<string, unknown>): BinnedSample {
  return {
    rows_training: toNumber(row.rows_ref),
    rows_serving: toNumber(row.rows_cur),
    training: toNumberList(row.ref_counts),
    serving: toNumberList(row.cur_counts),
  };
}

/**
 * The query behind numeric distribution skew: both columns read once, the decile edges of the
 * training values (order statistics of the training side only, interpolated as numpy does),
 * and the per-bin counts of both sides. One row: rows_ref, rows_cur, n_ref, n_cur, edges, bins,
 * ref_bin_counts, cur_bin_counts (bins present only; absent = 0).
 */
export function numericSkewSql(training: string, serving: string, feature: string): string {
  const value = featureValueSql(feature, 'numeric');
  return `WITH
  ref_all AS MATERIALIZED (SELECT ${value} AS v FROM ${training} AS training_rows),
  cur_all AS MATERIALIZED (SELECT ${value} AS v FROM ${serving} AS serving_rows),
  ref AS (SELECT v FROM ref_all WHERE v IS NOT NULL),
  cur AS (SELECT v FROM cur_all WHERE v IS NOT NULL),
  sizes AS (SELECT (SELECT count(*) FROM ref) AS n, (SELECT count(*) FROM cur) AS m),
  decile_index AS (${decileIndexSql()}),
  order_stats AS (
    SELECT rank, v FROM (SELECT v, row_number() OVER (ORDER BY v) AS rank FROM ref) AS ranked
    WHERE rank IN (SELECT lo_rank FROM decile_index UNION SELECT hi_rank FROM decile_index)
  ),
  decile_edges AS (${decileEdgesSql()}),
  edge_row AS (${edgeRowSql()}),
  bin_counts AS (${histogramBinCountsSql()})
SELECT
  (SELECT count(*) FROM ref_all) AS rows_ref,
  (SELECT count(*) FROM cur_all) AS rows_cur,
  sizes.n AS n_ref,
  sizes.m AS n_cur,
  edge_row.edges,
  (SELECT list(bin ORDER BY bin) FROM bin_counts) AS bins,
  (SELECT list(ref_count ORDER BY bin) FROM bin_counts) AS ref_bin_counts,
  (SELECT list(cur_count ORDER BY bin) FROM bin_counts) AS cur_bin_counts
FROM sizes, edge_row`;
}
