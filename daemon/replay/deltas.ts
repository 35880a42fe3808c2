/**
 * Baseline vs candidate on the same rows, per group (group 0 = every row, 1… = slices): metric
 * deltas with paired 95 % intervals, from one DuckDB query over rows (g, pb, pc, y) with both
 * scores finite and a label. JavaScript turns the per-group aggregates into deltas.
 *
 * | delta (candidate − baseline)      | interval                                                           |
 * |-----------------------------------|--------------------------------------------------------------------|
 * | accuracy, precision, recall, F1   | delta method on the 8-cell multinomial of (label, ŷ_baseline, ŷ_candidate): |
 * |                                   | Var(D) = (Σ g_k² p_k − (Σ g_k p_k)²)/n, g = ∂D/∂p (paired, exact for accuracy's McNemar-type variance) |
 * | ROC AUC                           | DeLong (1988) for correlated AUCs: Var = (S10_b + S10_c − 2·S10_bc)/n₁ + (S01_b + S01_c − 2·S01_bc)/n₀ |
 * | log loss, Brier, MAE              | paired normal: mean of per-row differences ± z·s/√n                 |
 * | RMSE                              | delta method on (MSE_b, MSE_c) with their per-row covariance         |
 * | PR AUC, ECE, |bias|               | none (null)                                                        |
 *
 * A delta is a regression when the candidate is worse beyond the run's numeric tolerance and the
 * interval excludes the tolerance band on the bad side: with tol = abs + rel·|baseline value|,
 * higher-is-better: ci[1] < −tol; lower-is-better: ci[0] > tol. Two models whose scores differ in
 * the last bits (float32 sigmoid, another provider) have deltas of ~1e-9 with intervals just as
 * narrow; those never count.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EvaluationTask, MetricDelta, MetricDirection, MetricSet } from '../../protocol';
import { logLossSql } from '../analysis/metrics';
import { Z95, type Interval } from '../analysis/metrics/intervals';
import { readRows, toNullableNumber, toNumber, type Row } from '../analysis/rows';
import { doubleLiteral } from '../analysis/sql';

/** The metrics each task compares, in report order (`abs_bias` = |mean score − mean label|). */
export const DELTA_METRICS: Record<EvaluationTask, string[]> = {
  binary_classification: ['roc_auc', 'pr_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'brier', 'ece', 'abs_bias'],
  regression: ['mae', 'rmse', 'abs_bias'],
};

export const DIRECTION: Record<string, MetricDirection> = {
  accuracy: 'higher', precision: 'higher', recall: 'higher', f1: 'higher', roc_auc: 'higher', pr_auc: 'higher',
  log_loss: 'lower', brier: 'lower', ece: 'lower', abs_bias: 'lower', mae: 'lower', rmse: 'lower',
};

const METHOD: Record<string, string> = {
  accuracy: 'delta method, paired (multinomial)',
  precision: 'delta method, paired (multinomial)',
  recall: 'delta method, paired (multinomial)',
  f1: 'delta method, paired (multinomial)',
  roc_auc: 'DeLong (paired)',
  log_loss: 'paired normal (per-row differences)',
  brier: 'paired normal (per-row differences)',
  mae: 'paired normal (per-row differences)',
  rmse: 'delta method, paired',
  pr_auc: 'none',
  ece: 'none',
  abs_bias: 'none',
};

/**
 * SQL over `scored` (g, pb, pc, y: no NULLs; y 0/1 for classification) giving one row of
 * aggregates per group. `scored` is defined by the caller's CTEs.
 */
export function pairedSql(ctes: string[], task: EvaluationTask, threshold: number): string {
  if (task === 'regression') {
    return `WITH ${ctes.join(',\n')}
SELECT g, count(*) AS n,
  favg(abs(pc - y) - abs(pb - y)) AS ae_d, stddev_samp(abs(pc - y) - abs(pb - y)) AS ae_d_sd,
  favg((pb - y) * (pb - y)) AS mse_b, favg((pc - y) * (pc - y)) AS mse_c,
  var_samp((pb - y) * (pb - y)) AS se_b_var, var_samp((pc - y) * (pc - y)) AS se_c_var,
  covar_samp((pb - y) * (pb - y), (pc - y) * (pc - y)) AS se_cov,
  favg(pb) AS mean_b, favg(pc) AS mean_c, favg(y) AS mean_y
FROM scored GROUP BY g ORDER BY g`;
  }
  const t = doubleLiteral(threshold);
  const cells: string[] = [];
  for (let y = 0; y <= 1; y++) for (let b = 0; b <= 1; b++) for (let c = 0; c <= 1; c++) {
    cells.push(`count(*) FILTER (WHERE y ${y ? '= 1' : '<> 1'} AND pb ${b ? '>=' : '<'} ${t} AND pc ${c ? '>=' : '<'} ${t}) AS c${y}${b}${c}`);
  }
  // DeLong placements: per (group, distinct score s) of each model, V10(s) = (neg(< s) + ½neg(= s))/n₀
  // (a positive's) and V01(s) = (pos(> s) + ½pos(= s))/n₁ (a negative's), from one ascending
  // running sum over the distinct scores (neg(< s) = neg(≤ s) − neg(= s), pos(> s) = n₁ − pos(≤ s);
  // counts summed as DOUBLE, exact, see classification.ts); each row then looks up its two
  // scores by a hash join — no window over the rows themselves.
  const at = (side: 'b' | 'c') => `
  at_${side} AS (
    SELECT g, p, (neg_le - nneg / 2.0) / nullif(n0, 0) AS v10, (n1 - pos_le + npos / 2.0) / nullif(n1, 0) AS v01
    FROM (SELECT g, p, npos, nneg, (sum(nneg::DOUBLE) OVER w)::BIGINT AS neg_le, (sum(npos::DOUBLE) OVER w)::BIGINT AS pos_le
      FROM (SELECT g, p${side} AS p, count(*) FILTER (WHERE y = 1) AS npos, count(*) FILTER (WHERE y <> 1) AS nneg FROM scored GROUP BY g, p${side}) AS by_score
      WINDOW w AS (PARTITION BY g ORDER BY p ROWS UNBOUNDED PRECEDING)) AS running
    JOIN totals USING (g))`;
  return `WITH ${ctes.join(',\n')},
  totals AS (SELECT g, count(*) FILTER (WHERE y = 1) AS n1, count(*) FILTER (WHERE y <> 1) AS n0 FROM scored GROUP BY g),${at('b')},${at('c')},
  placed AS (
    SELECT s.g, s.y, CASE WHEN s.y = 1 THEN b.v10 ELSE b.v01 END AS vb, CASE WHEN s.y = 1 THEN c.v10 ELSE c.v01 END AS vc
    FROM scored AS s JOIN at_b AS b ON b.g = s.g AND b.p = s.pb JOIN at_c AS c ON c.g = s.g AND c.p = s.pc),
  delong AS (
    SELECT g,
      favg(vb) FILTER (WHERE y = 1) AS auc_b, favg(vc) FILTER (WHERE y = 1) AS auc_c,
      var_samp(vb) FILTER (WHERE y = 1) AS s10_b, var_samp(vc) FILTER (WHERE y = 1) AS s10_c, covar_samp(vb, vc) FILTER (WHERE y = 1) AS s10_bc,
      var_samp(vb) FILTER (WHERE y <> 1) AS s01_b, var_samp(vc) FILTER (WHERE y <> 1) AS s01_c, covar_samp(vb, vc) FILTER (WHERE y <> 1) AS s01_bc
    FROM placed GROUP BY g),
  moments AS (
    SELECT g, count(*) AS n, ${cells.join(', ')},
      favg(${logLossSql('pc', 'y')} - ${logLossSql('pb', 'y')}) AS ll_d, stddev_samp(${logLossSql('pc', 'y')} - ${logLossSql('pb', 'y')}) AS ll_d_sd,
      favg((pc - y) * (pc - y) - (pb - y) * (pb - y)) AS br_d, stddev_samp((pc - y) * (pc - y) - (pb - y) * (pb - y)) AS br_d_sd,
      favg(pb) AS mean_b, favg(pc) AS mean_c, favg(y) AS mean_y
    FROM scored GROUP BY g)
SELECT moments.*, totals.n1, totals.n0, delong.auc_b, delong.auc_c, delong.s10_b, delong.s10_c, delong.s10_bc, delong.s01_b, delong.s01_c, delong.s01_bc
FROM moments JOIN totals ON totals.g = moments.g LEFT JOIN delong ON delong.g = moments.g
ORDER BY moments.g`;
}

export interface PairedGroup {
  n: number;
  row: Row;
}

/** Paired aggregates per group (missing groups: no labelled rows). */
export async function pairedAggregates(conn: DuckDBConnection, ctes: string[], task: EvaluationTask, threshold: number): Promise<Map<number, Row>> {
  const rows = await readRows(conn, pairedSql(ctes, task, threshold));
  return new Map(rows.map((r) => [toNumber(r.g), r]));
}

/** The deltas of one group, given both models' metric sets (for the point values) and the group's paired row. */
export function deltasOf(task: EvaluationTask, baseline: MetricSet, candidate: MetricSet, row: Row | undefined, tolerance: Tolerance = NO_TOLERANCE): MetricDelta[] {
  const value = (set: MetricSet, m: string): number | null => {
    if (m === 'abs_bias') {
      const b = (set.metrics as Record<string, { value: number | null }>).bias?.value;
      return b === null || b === undefined ? null : Math.abs(b);
    }
    return (set.metrics as Record<string, { value: number | null } | undefined>)[m]?.value ?? null;
  };
  const intervals = row ? pairedIntervals(task, row) : {};
  return DELTA_METRICS[task].map((metric) => {
    const b = value(baseline, metric);
    const c = value(candidate, metric);
    const delta = b === null || c === null ? null : c - b;
    const ci = delta === null ? null : (intervals[metric] ?? null);
    const better = DIRECTION[metric] ?? 'higher';
    return { metric, baseline: b, candidate: c, delta, ci, method: METHOD[metric] ?? 'none', better, regression: isRegression(better, ci, metricTolerance(tolerance, b)) };
  });
}

/** The run's numeric tolerance (outputs equal within abs + rel·|baseline|). */
export interface Tolerance {
  abs: number;
  rel: number;
}

export const NO_TOLERANCE: Tolerance = { abs: 0, rel: 0 };

/** How far a metric may move before it counts: abs + rel·|baseline value|. */
export function metricTolerance(t: Tolerance, baseline: number | null): number {
  return t.abs + t.rel * Math.abs(baseline ?? 0);
}

/** Worse beyond `tol` with the 95 % interval clear of the tolerance band on the bad side. */
export function isRegression(better: MetricDirection, ci: Interval | null, tol = 0): boolean {
  if (!ci) return false;
  const t = Math.max(0, tol);
  return better === 'higher' ? ci[1] < -t : ci[0] > t;
}

/** Paired 95 % intervals of candidate − baseline from a group's aggregates. */
export function pairedIntervals(task: EvaluationTask, row: Row, z = Z95): Record<string, Interval | null> {
  const n = toNumber(row.n);
  const normal = (mean: unknown, sd: unknown): Interval | null => {
    const m = toNullableNumber(mean);
    const s = toNullableNumber(sd);
    if (m === null || s === null || !(n >= 2) || !Number.isFinite(s)) return null;
    const half = (z * s) / Math.sqrt(n);
    return [m - half, m + half];
  };
  if (task === 'regression') {
    const mseB = toNullableNumber(row.mse_b);
    const mseC = toNullableNumber(row.mse_c);
    let rmse: Interval | null = null;
    const vb = toNullableNumber(row.se_b_var);
    const vc = toNullableNumber(row.se_c_var);
    const cov = toNullableNumber(row.se_cov);
    if (mseB !== null && mseC !== null && mseB > 0 && mseC > 0 && vb !== null && vc !== null && cov !== null && n >= 2) {
      const gb = -1 / (2 * Math.sqrt(mseB));
      const gc = 1 / (2 * Math.sqrt(mseC));
      const variance = (gc * gc * vc + gb * gb * vb + 2 * gb * gc * cov) / n;
      const d = Math.sqrt(mseC) - Math.sqrt(mseB);
      const half = z * Math.sqrt(Math.max(0, variance));
      rmse = [d - half, d + half];
    }
    return { mae: normal(row.ae_d, row.ae_d_sd), rmse };
  }
  const cells = new Array<number>(8);
  for (let y = 0; y <= 1; y++) for (let b = 0; b <= 1; b++) for (let c = 0; c <= 1; c++) cells[y * 4 + b * 2 + c] = toNumber(row[`c${y}${b}${c}`]);
  const out: Record<string, Interval | null> = {
    log_loss: normal(row.ll_d, row.ll_d_sd),
    brier: normal(row.br_d, row.br_d_sd),
    roc_auc: delongPaired(row, z),
  };
  for (const metric of ['accuracy', 'precision', 'recall', 'f1'] as const) out[metric] = multinomialDelta(cells, metric, z);
  return out;
}

/** Classification counts of one model from the 8 cells (index y·4 + ŷ_b·2 + ŷ_c). */
function confusion(p: readonly number[], side: 'b' | 'c'): { tp: number; fp: number; fn: number; tn: number } {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let k = 0; k < 8; k++) {
    const y = k >> 2;
    const pred = side === 'b' ? (k >> 1) & 1 : k & 1;
    const v = p[k]!;
    if (y === 1 && pred === 1) tp += v;
    else if (y === 0 && pred === 1) fp += v;
    else if (y === 1) fn += v;
    else tn += v;
  }
  return { tp, fp, fn, tn };
}

function classMetric(p: readonly number[], side: 'b' | 'c', metric: 'accuracy' | 'precision' | 'recall' | 'f1'): number | null {
  const { tp, fp, fn, tn } = confusion(p, side);
  const ratio = (a: number, d: number): number | null => (d > 0 ? a / d : null);
  switch (metric) {
    case 'accuracy': return ratio(tp + tn, tp + fp + fn + tn);
    case 'precision': return ratio(tp, tp + fp);
    case 'recall': return ratio(tp, tp + fn);
    case 'f1': return ratio(2 * tp, 2 * tp + fp + fn);
  }
}

/**
 * Delta-method interval of D = metric_c − metric_b over the multinomial of the 8 cells:
 * Var(D) = (Σ g_k² p_k − (Σ g_k p_k)²)/n with g = ∂D/∂p_k (central differences; every metric
 * is a ratio of cell sums, so the gradient is smooth wherever D is defined).
 */
export function multinomialDelta(counts: readonly number[], metric: 'accuracy' | 'precision' | 'recall' | 'f1', z = Z95): Interval | null {
  const n = counts.reduce((a, b) => a + b, 0);
  if (!(n > 0)) return null;
  const p = counts.map((c) => c / n);
  const D = (q: readonly number[]): number | null => {
    const c = classMetric(q, 'c', metric);
    const b = classMetric(q, 'b', metric);
    return c === null || b === null ? null : c - b;
  };
  const d0 = D(p);
  if (d0 === null) return null;
  const h = 1e-6;
  const g = new Array<number>(8);
  for (let k = 0; k < 8; k++) {
    const up = [...p];
    const down = [...p];
    up[k]! += h;
    down[k] = Math.max(0, down[k]! - h);
    const dUp = D(up);
    const dDown = D(down);
    if (dUp === null || dDown === null) return null;
    g[k] = (dUp - dDown) / (up[k]! - down[k]!);
  }
  let s2 = 0;
  let s1 = 0;
  for (let k = 0; k < 8; k++) {
    s2 += g[k]! * g[k]! * p[k]!;
    s1 += g[k]! * p[k]!;
  }
  const variance = Math.max(0, (s2 - s1 * s1) / n);
  const half = z * Math.sqrt(variance);
  return [d0 - half, d0 + half];
}

/** DeLong's interval for AUC_c − AUC_b on the same rows (see the module comment). */
function delongPaired(row: Row, z: number): Interval | null {
  const n1 = toNumber(row.n1);
  const n0 = toNumber(row.n0);
  const aucB = toNullableNumber(row.auc_b);
  const aucC = toNullableNumber(row.auc_c);
  const s10b = toNullableNumber(row.s10_b);
  const s10c = toNullableNumber(row.s10_c);
  const s10bc = toNullableNumber(row.s10_bc);
  const s01b = toNullableNumber(row.s01_b);
  const s01c = toNullableNumber(row.s01_c);
  const s01bc = toNullableNumber(row.s01_bc);
  if (aucB === null || aucC === null || n1 < 2 || n0 < 2 || [s10b, s10c, s10bc, s01b, s01c, s01bc].some((v) => v === null)) return null;
  const variance = (s10b! + s10c! - 2 * s10bc!) / n1 + (s01b! + s01c! - 2 * s01bc!) / n0;
  const d = aucC - aucB;
  const half = z * Math.sqrt(Math.max(0, variance));
  return [d - half, d + half];
}
