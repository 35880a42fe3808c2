/**
 * Evaluation metrics (scikit-learn definitions) with analytic 95 % intervals, computed in DuckDB:
 * `evaluate` gives overall and per-slice metrics of a relation with score and label columns.
 */
export { evaluate, evaluationSql, stackedSql, INTERVAL_METHODS, METRIC_NAMES, type EvaluationRequest } from './evaluate.js';
export { classificationSql, classificationFromRow, logLossSql, eceBinSql, LOG_LOSS_EPS, ECE_BINS } from './classification.js';
export { regressionSql, regressionFromRow } from './regression.js';
export {
  Z95,
  wilsonInterval,
  normalMeanInterval,
  delongInterval,
  logitInterval,
  f1Interval,
  sqrtInterval,
  type Interval,
} from './intervals.js';
