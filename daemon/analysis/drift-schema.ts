/**
 * The drift report's shapes live in protocol/drift.ts (every `--json` output schema does); this
 * module keeps the analysis engine's older names for them.
 */
export {
  CategoricalDriftMetrics as CategoricalDriftMetricsSchema,
  CategoricalFeatureDrift as CategoricalFeatureDriftSchema,
  ChiSquareResult as ChiSquareResultSchema,
  DriftMethod as DriftMethodSchema,
  DriftReport as DriftReportSchema,
  DriftSkipped as DriftSkippedSchema,
  FeatureDrift as FeatureDriftSchema,
  KsResult as KsResultSchema,
  NumericDriftMetrics as NumericDriftMetricsSchema,
  NumericFeatureDrift as NumericFeatureDriftSchema,
} from '../../protocol/drift.js';
export type {
  CategoricalDriftMetrics,
  CategoricalFeatureDrift,
  ChiSquareResult,
  DriftMethod,
  DriftReport,
  DriftSkipped,
  FeatureDrift,
  KsResult,
  NumericDriftMetrics,
  NumericFeatureDrift,
} from '../../protocol/drift.js';
