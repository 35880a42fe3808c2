/**
 * Failing slices: candidates, per-row losses, Welch's t-test, effect sizes and Benjamini–Hochberg,
 * with the per-candidate sums computed by one DuckDB GROUPING SETS query (find.ts).
 */
export {
  analyseSlices,
  findSlices,
  reportOf,
  candidatesSql,
  edgesSql,
  combinations,
  SLICE_DEFAULTS,
  MAX_SLICE_ATTRIBUTES,
  type SliceAnalysis,
  type SliceAttributeSpec,
  type SliceCandidate,
  type SliceRequest,
} from './find.js';
export { lossSql, usesLabels, LABEL_LOSSES } from './losses.js';
export { predicateSql, conjunctionSql, describePredicate, describeSlice, predicateKind } from './predicates.js';
export { welchTest, twoSidedTPValue, pooledEffectSize, benjaminiHochberg, summariesFromSums, type GroupSummary, type WelchTest } from './tests.js';
export { attributeLevels, type AttributeLevel } from './levels.js';
export { binSql, binPredicate, decileEdgeCtes, distinctEdges } from './bins.js';
