/**
 * Binary classification metrics, per group, from one DuckDB query over rows (g, p, y):
 * g the group (0 = every row, 1… = slices), p the score (probability of the positive class),
 * y the label as 0/1. JavaScript only turns the per-group aggregates into metrics.
 *
 * Definitions (scikit-learn 1.2, binary, predicted class ŷ = [p ≥ threshold]):
 * - accuracy = (TP + TN)/n; precision = TP/(TP + FP); recall = TP/(TP + FN);
 *   F1 = 2TP/(2TP + FP + FN). Undefined (null) where sklearn warns and returns 0: precision
 *   with no predicted positive, recall with no positive, F1 with 2TP + FP + FN = 0.
 * - ROC AUC = P(p₊ > p₋) + ½P(p₊ = p₋) = U/(n₁n₀) (the Mann–Whitney form, equal to sklearn's
 *   trapezoidal area, ties included): U = Σ over distinct scores s of pos(s)·(neg(< s) + ½neg(s)).
 *   Null with one class (sklearn raises).
 * - PR AUC = average precision, sklearn's step definition AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ over thresholds at
 *   the distinct scores, descending: AP = (1/n₁) Σₛ pos(s)·TP(≥ s)/(TP(≥ s) + FP(≥ s)).
 *   Null without positives (sklearn warns and returns 0).
 * - log loss = mean of −ln(q / ((1 − c) + c)) with c = clip(p, 1e-15, 1 − 1e-15) and q = c for a
 *   positive, 1 − c for a negative — exactly sklearn 1.2 `log_loss(eps=1e-15)`, which clips p
 *   before taking 1 − p (so p = 1 on a negative costs −ln(1 − fl(1 − 1e-15)) = 34.5395…, not
 *   −ln(1e-15) = 34.5388…) and renormalises each row [1 − c, c] by its sum.
 * - Brier = mean (p − y)²; bias = mean p − mean y = mean (p − y).
 * - ECE over 10 equal-width bins: bin(p) = min(⌊10·p⌋, 9) (so [0, 0.1), [0.1, 0.2), …,
 *   [0.9, 1.0], computed in double precision as written), ECE = Σ_b |Σ_{i∈b} (yᵢ − pᵢ)| / n
 *   = Σ_b (n_b/n)·|ȳ_b − p̄_b|, empty bins contributing 0.
 * Intervals: intervals.ts.
 */
import type { ClassificationMetrics, MetricEstimate } from '../../../protocol';
import { doubleLiteral } from '../sql.js';
import { toNullableNumber, toNumber, type Row } from '../rows.js';
import {
  delongInterval,
  f1Interval,
  logitInterval,
  normalMeanInterval,
  wilsonInterval,
  type Interval,
} from './intervals.js';

export const LOG_LOSS_EPS = 1e-15;
export const ECE_BINS = 10;

/** SQL expression: per-row log loss of p for a 0/1 label y (clipped as sklearn does). */
export function logLossSql(p: string, y: string): string {
  const eps = doubleLiteral(LOG_LOSS_EPS);
  const c = `greatest(least(${p}, 1 - ${eps}), ${eps})`;
  return `(-ln((CASE WHEN ${y} = 1 THEN ${c} ELSE 1 - ${c} END) / ((1 - ${c}) + ${c})))`;
}

/** SQL expression: the ECE bin of p, min(⌊10p⌋, 9) (and ≥ 0 for scores below 0). */
export function eceBinSql(p: string): string {
  return `greatest(least(floor(${p} * ${ECE_BINS}), ${ECE_BINS - 1}), 0)`;
}

/**
 * The per-group aggregate query over `scored` (a CTE or relation with g, p DOUBLE, y DOUBLE 0/1,
 * no NULLs). Its CTEs: per-group counts and moments; per (group, distinct score) positive and
 * negative counts with running sums (negatives below, positives above, TP and FP at ≥ s); the
 * Mann–Whitney sum and AP sum; DeLong's placement variances; the ECE bins.
 *
 * The running sums come from one ascending window: neg_le(s) = Σ_{s' ≤ s} nneg, pos_le likewise,
 * then neg_below = neg_le − nneg, pos_above = n₁ − pos_le, TP(≥ s) = n₁ − pos_le + npos,
 * FP(≥ s) = n₀ − neg_le + nneg. The counts are summed as DOUBLE (exact: integers below 2⁵³) and
 * cast back: DuckDB sums a windowed BIGINT in HUGEINT, about twice as slow.
 */
export function classificationSql(scored: string, threshold: number, extra: QueryExtras = {}): string {
  const t = doubleLiteral(threshold);
  const y = 'y';
  return `WITH ${(extra.ctes ?? []).map((c) => `${c},
`).join('')}
  moments AS (
    SELECT g,
      count(*) AS n,
      count(*) FILTER (WHERE y = 1) AS n1,
      count(*) FILTER (WHERE p >= ${t}) AS pp,
      count(*) FILTER (WHERE y = 1 AND p >= ${t}) AS tp,
      favg(ll) AS log_loss, stddev_samp(ll) AS log_loss_sd,
      favg(br) AS brier, stddev_samp(br) AS brier_sd,
      favg(d) AS bias, stddev_samp(d) AS bias_sd
    FROM (SELECT g, p, y, ${logLossSql('p', y)} AS ll, (p - y) * (p - y) AS br, p - y AS d FROM ${scored} AS scored_rows) AS per_row
    GROUP BY g
  ),
  by_score AS (
    SELECT g, p, count(*) FILTER (WHERE y = 1) AS npos, count(*) FILTER (WHERE y <> 1) AS nneg
    FROM ${scored} AS scored_rows GROUP BY g, p
  ),
  ranked AS (
    SELECT g, p, npos, nneg, neg_le - nneg AS neg_below, n1 - pos_le AS pos_above,
      n1 - pos_le + npos AS tp_at, n0 - neg_le + nneg AS fp_at, n1, n0
    FROM (SELECT g, p, npos, nneg, (sum(nneg::DOUBLE) OVER w)::BIGINT AS neg_le, (sum(npos::DOUBLE) OVER w)::BIGINT AS pos_le
      FROM by_score WINDOW w AS (PARTITION BY g ORDER BY p ROWS UNBOUNDED PRECEDING)) AS running
    JOIN (SELECT g, n1, n - n1 AS n0 FROM moments) AS totals USING (g)
  ),
  areas AS (
    SELECT g,
      sum(npos * (2 * neg_below + nneg)) AS u2,
      fsum(npos::DOUBLE * (tp_at::DOUBLE / (tp_at + fp_at)::DOUBLE)) AS ap_sum,
      CASE WHEN any_value(n1) > 0 AND any_value(n0) > 0
        THEN sum(npos * (2 * neg_below + nneg))::DOUBLE / (2 * any_value(n1)::DOUBLE * any_value(n0)::DOUBLE) END AS auc
    FROM ranked GROUP BY g
  ),
  delong AS (
    SELECT ranked.g,
      fsum(npos::DOUBLE * power((neg_below::DOUBLE + nneg::DOUBLE / 2) / n0::DOUBLE - areas.auc, 2)) AS s10_sum,
      fsum(nneg::DOUBLE * power((pos_above::DOUBLE + npos::DOUBLE / 2) / n1::DOUBLE - areas.auc, 2)) AS s01_sum
    FROM ranked JOIN areas ON areas.g = ranked.g
    WHERE areas.auc IS NOT NULL
    GROUP BY ranked.g
  ),
  calibration AS (
    SELECT g, fsum(abs(gap)) AS ece_sum
    FROM (SELECT g, ${eceBinSql('p')} AS bin, fsum(y - p) AS gap FROM ${scored} AS scored_rows GROUP BY g, bin) AS bins
    GROUP BY g
  )
SELECT moments.*, areas.ap_sum, areas.auc, delong.s10_sum, delong.s01_sum, calibration.ece_sum${(extra.columns ?? []).map((c) => `, ${c}`).join('')}
FROM moments
LEFT JOIN areas ON areas.g = moments.g
LEFT JOIN delong ON delong.g = moments.g
LEFT JOIN calibration ON calibration.g = moments.g
ORDER BY moments.g`;
}

/** CTEs to put before the metric CTEs (defining `scored`), and extra columns for the result rows. */
export interface QueryExtras {
  ctes?: string[];
  columns?: string[];
}

export interface ClassificationCounts {
  n: number;
  positives: number;
  predicted_positives: number;
  tp: number;
}

/** Metrics of one group from its row of `classificationSql`. */
export function classificationFromRow(row: Row): { counts: ClassificationCounts; metrics: ClassificationMetrics } {
  const n = toNumber(row.n);
  const n1 = toNumber(row.n1);
  const pp = toNumber(row.pp);
  const tp = toNumber(row.tp);
  const n0 = n - n1;
  const fp = pp - tp;
  const fn = n1 - tp;
  const tn = n - n1 - fp;
  const ratio = (k: number, d: number): MetricEstimate => estimate(d > 0 ? k / d : null, wilsonInterval(k, d));

  const auc = toNullableNumber(row.auc);
  const s10 = toNullableNumber(row.s10_sum);
  const s01 = toNullableNumber(row.s01_sum);
  const aucVariance = auc !== null && s10 !== null && s01 !== null && n1 >= 2 && n0 >= 2 ? s10 / (n1 - 1) / n1 + s01 / (n0 - 1) / n0 : null;
  const apSum = toNullableNumber(row.ap_sum);
  const ap = n1 > 0 && apSum !== null ? apSum / n1 : null;
  const f1Denominator = 2 * tp + fp + fn;
  const eceSum = toNullableNumber(row.ece_sum);

  return {
    counts: { n, positives: n1, predicted_positives: pp, tp },
    metrics: {
      accuracy: ratio(tp + tn, n),
      precision: ratio(tp, pp),
      recall: ratio(tp, n1),
      f1: estimate(f1Denominator > 0 ? (2 * tp) / f1Denominator : null, f1Interval(tp, fp, fn)),
      roc_auc: estimate(auc, delongInterval(auc, aucVariance)),
      pr_auc: estimate(ap, logitInterval(ap, n1)),
      log_loss: meanEstimate(row.log_loss, row.log_loss_sd, n, true),
      brier: meanEstimate(row.brier, row.brier_sd, n, true),
      ece: estimate(n > 0 && eceSum !== null ? eceSum / n : null, null),
      bias: meanEstimate(row.bias, row.bias_sd, n),
    },
  };
}

/** A metric that is the mean of a per-row quantity, with its normal interval. */
export function meanEstimate(mean: unknown, sd: unknown, n: number, nonNegative = false): MetricEstimate {
  const value = n > 0 ? toNullableNumber(mean) : null;
  return estimate(value, value === null ? null : normalMeanInterval(value, toNullableNumber(sd), n, { nonNegative }));
}

export function estimate(value: number | null, ci: Interval | null): MetricEstimate {
  return { value, ci: value === null ? null : ci };
}
