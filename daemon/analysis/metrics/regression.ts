/**
 * Regression metrics per group from one DuckDB query over rows (g, p, y) — p the prediction,
 * y the label, no NULLs:
 * - MAE = mean |p − y| (sklearn `mean_absolute_error`), normal interval;
 * - RMSE = √(mean (p − y)²) (sklearn `mean_squared_error(squared=False)`), interval = √ of the
 *   normal interval of the mean squared error (lower end floored at 0);
 * - bias = mean p − mean y = mean (p − y), normal interval.
 */
import type { RegressionMetrics } from '../../../protocol';
import { toNullableNumber, toNumber, type Row } from '../rows.js';
import { estimate, meanEstimate, type QueryExtras } from './classification.js';
import { normalMeanInterval, sqrtInterval } from './intervals.js';

export function regressionSql(scored: string, extra: QueryExtras = {}): string {
  const ctes = extra.ctes ?? [];
  return `${ctes.length ? `WITH ${ctes.join(',\n')}\n` : ''}SELECT g, count(*) AS n,${(extra.columns ?? []).map((c) => ` ${c},`).join('')}
    favg(ae) AS mae, stddev_samp(ae) AS mae_sd,
    favg(se) AS mse, stddev_samp(se) AS mse_sd,
    favg(d) AS bias, stddev_samp(d) AS bias_sd
  FROM (SELECT g, abs(p - y) AS ae, (p - y) * (p - y) AS se, p - y AS d FROM ${scored} AS scored_rows) AS per_row
  GROUP BY g ORDER BY g`;
}

export function regressionFromRow(row: Row): { n: number; metrics: RegressionMetrics } {
  const n = toNumber(row.n);
  const mse = n > 0 ? toNullableNumber(row.mse) : null;
  const mseInterval = mse === null ? null : normalMeanInterval(mse, toNullableNumber(row.mse_sd), n, { nonNegative: true });
  return {
    n,
    metrics: {
      mae: meanEstimate(row.mae, row.mae_sd, n, true),
      rmse: estimate(mse === null ? null : Math.sqrt(mse), sqrtInterval(mseInterval)),
      bias: meanEstimate(row.bias, row.bias_sd, n),
    },
  };
}
