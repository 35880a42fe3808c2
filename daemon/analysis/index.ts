/**
 * Sightline's statistics core: drift and data quality computed inside DuckDB.
 */
export { computeDrift, missingRate, type DriftFeature, type DriftRequest } from './drift.js';
export * from './drift-schema.js';
export {
  decideDrift,
  DEFAULT_THRESHOLDS,
  DEFAULT_VERDICT_OPTIONS,
  type DriftThresholds,
  type FeatureKind,
  type Verdict,
  type VerdictOptions,
} from './verdict.js';
export {
  describeRelation,
  inferFeatureKinds,
  kindOfSqlType,
  type ColumnDescription,
  type InferredFeature,
} from './feature-kind.js';
export { inferSchema, DEFAULT_CATEGORY_LIMIT, type InferSchemaOptions, type SchemaFeature } from './profile.js';
export { checkQuality } from './quality.js';
export { DEFAULT_QUALITY_OPTIONS, judgeQuality, typeFamily, type QualityOptions, type ShareThresholds } from './quality-rules.js';
export * from './quality-schema.js';
export { quoteIdentifier, quoteLiteral, queryRelation, tableRelation } from './sql.js';
export { kolmogorovSurvival, ksPValue } from './kolmogorov.js';
export { chiSquareHomogeneity, chiSquareSurvival, type ChiSquareTest } from './chi-square.js';
export { jensenShannonDistance, linfDistance, populationStabilityIndex, PSI_FLOOR } from './divergence.js';
