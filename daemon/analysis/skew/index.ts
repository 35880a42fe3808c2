/**
 * Training–serving skew, computed inside DuckDB: distribution skew (L∞ / Jensen–Shannon on the
 * drift bins), row-level skew on a join key, and the SQL around replaying raw inputs through an
 * offline feature command. Pure of I/O beyond the DuckDB connection: running the command is the
 * caller's job (daemon/findings/skew-run.ts).
 */
export {
  computeDistributionSkew,
  distributionEntry,
  numericSkewSql,
  type BinnedSample,
  type DistributionSkewEntry,
  type DistributionSkewRequest,
  type DistributionSkewResult,
  type SkewFeatureSpec,
} from './distribution.js';
export {
  compareRows,
  numericMismatchSql,
  rowComparisonSql,
  rowEntry,
  type JoinCounts,
  type RowComparisonRequest,
  type RowComparisonResult,
  type RowExample,
  type RowSide,
  type RowSkewEntry,
} from './row-comparison.js';
export {
  jsonLinesSql,
  jsonPointer,
  loggedRawCountSql,
  outputRelation,
  outputSummarySql,
  rawLinesFromLogSql,
  rawLinesFromRelationSql,
} from './replay-sql.js';
export { ShellWordsError, splitShellWords } from './shell-words.js';
export {
  decideDistributionSkew,
  decideRowSkew,
  DEFAULT_EXAMPLES,
  DEFAULT_SKEW_THRESHOLDS,
  DEFAULT_TOLERANCE,
  rankSkew,
  resolveThresholds,
  type NumericTolerance,
  type SkewThresholdValues,
} from './verdict.js';
