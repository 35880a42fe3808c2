/**
 * The data-quality shapes live in protocol/quality.ts (every `--json` output schema does); this
 * module keeps the analysis engine's older names for them.
 */
export { FeatureKind as FeatureKindSchema } from '../../protocol/model-card.js';
export {
  DataSchema as DataSchemaSchema,
  FeatureSchema as FeatureSchemaSchema,
  QualityReport as QualityReportSchema,
  QualitySeverity as SeveritySchema,
  QualityViolation as ViolationSchema,
} from '../../protocol/quality.js';
export type {
  DataSchema,
  FeatureSchema,
  QualityCheck,
  QualityReport,
  QualitySeverity as Severity,
  QualityViolation as Violation,
} from '../../protocol/quality.js';
