/**
 * Data-quality rules: a feature's schema (from reference data) against what was observed in
 * current data → violations. Pure; quality.ts gathers the observations with SQL.
 *
 * Checks and their default tolerances (all configurable through QualityOptions):
 * - missing_column     the column is gone                                        → error
 * - type_change        a type of another family (typeFamily: integer, floating and
 *                      DECIMAL types are all `numeric`; text, boolean, timestamp, …);
 *                      error when the kind changes (the other checks are then skipped:
 *                      they would compare unlike things), else warning. INTEGER → DOUBLE
 *                      is no change (a trace stores every numeric feature as DOUBLE)
 * - out_of_range       share of values outside [min − margin·span, max + margin·span],
 *                      span = max − min, margin 0: > 0 info, ≥ 1 % warning, ≥ 5 % error
 * - unseen_categories  share of values in categories the schema does not list (only for
 *                      schemas that list them): same share thresholds as out_of_range
 * - missing_rate_jump  missing rate up by ≥ 0.05 warning, ≥ 0.20 error
 * - cardinality_jump   distinct values (categorical) up or down by a factor ≥ 2 → warning;
 *                      a drop is only judged when the current sample has at least
 *                      2 × the schema's cardinality values, so a small batch is no alarm
 * - constant_column    a single distinct value (over ≥ 2 values) where the schema had
 *                      several → warning (instead of a cardinality_jump)
 * - volume_drop        rows below the expected count (when given) by ≥ 50 % warning,
 *                      ≥ 90 % error
 */
import type { DataSchema, FeatureSchema, Severity, Violation } from './quality-schema.js';
import { kindOfSqlType } from './feature-kind.js';

export interface ShareThresholds {
  warning: number;
  error: number;
}

export interface QualityOptions {
  /** Widening of the schema's range on each side, as a fraction of max − min. */
  rangeMargin: number;
  outOfRange: ShareThresholds;
  unseenCategories: ShareThresholds;
  /** Increase of the missing rate (absolute). */
  missingRateJump: ShareThresholds;
  /** Factor by which the cardinality may grow or shrink before a warning. */
  cardinalityFactor: number;
  /** Expected number of rows; the volume check runs only when given. */
  expectedRows: number | null;
  /** Share of the expected rows that may be missing. */
  volumeDrop: ShareThresholds;
  /**
   * How types are compared: `family` (numeric, text, boolean, …; see typeFamily), or `kind`
   * (numeric vs categorical only) for current data whose column types say nothing finer — a
   * trace stores each feature by its kind, as DOUBLE or VARCHAR.
   */
  typeCheck: 'family' | 'kind';
}

const RATE_SLACK = 1e-12;

export const DEFAULT_QUALITY_OPTIONS: Readonly<QualityOptions> = Object.freeze({
  rangeMargin: 0,
  outOfRange: { warning: 0.01, error: 0.05 },
  unseenCategories: { warning: 0.01, error: 0.05 },
  missingRateJump: { warning: 0.05, error: 0.2 },
  cardinalityFactor: 2,
  expectedRows: null,
  volumeDrop: { warning: 0.5, error: 0.9 },
  typeCheck: 'family',
});

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT', 'INT1', 'INT2', 'INT4', 'INT8', 'INT', 'LONG', 'SHORT']);
const FLOAT_TYPES = new Set(['FLOAT', 'DOUBLE', 'REAL', 'FLOAT4', 'FLOAT8']);
const TEXT_TYPES = new Set(['VARCHAR', 'TEXT', 'STRING', 'CHAR', 'BPCHAR']);

/**
 * The family of a DuckDB type (as DESCRIBE prints it) that a type_change is judged by:
 * `numeric` (integer, floating, DECIMAL(p,s)), `text` (VARCHAR, ENUM), `boolean`, `timestamp`
 * (DATE and every TIMESTAMP variant), `time`; any other type is its own family (its upper-cased
 * text, e.g. `STRUCT(a INTEGER)`), so it matches only itself.
 */
export function typeFamily(sqlType: string): string {
  const type = sqlType.trim().toUpperCase();
  const base = type.replace(/\(.*$/s, '').trim();
  if (INTEGER_TYPES.has(base) || FLOAT_TYPES.has(base) || base === 'DECIMAL' || base === 'NUMERIC') return 'numeric';
  if (TEXT_TYPES.has(base) || base === 'ENUM') return 'text';
  if (base === 'BOOLEAN' || base === 'BOOL') return 'boolean';
  if (base === 'DATE' || base.startsWith('TIMESTAMP') || base === 'DATETIME') return 'timestamp';
  if (base === 'TIME' || base === 'TIME WITH TIME ZONE' || base === 'TIMETZ') return 'time';
  return type;
}

/** Whether `observed` is another type than the schema's, as `options.typeCheck` compares them. */
export function typeChanged(feature: FeatureSchema, observed: string, typeCheck: QualityOptions['typeCheck']): boolean {
  if (typeCheck === 'kind') return kindOfSqlType(observed) !== feature.kind;
  return typeFamily(observed) !== typeFamily(feature.type);
}

/** What quality.ts measured of one feature in the current data. */
export interface FeatureObservation {
  /** Current DuckDB type; null when the column is absent. */
  type: string | null;
  rows: number;
  /** Non-missing values. */
  present: number;
  cardinality: number;
  /** Numeric: values outside the (widened) schema range, and the current range. */
  outside: number | null;
  min: number | null;
  max: number | null;
  /** Categorical with listed categories: values in unlisted categories, most frequent first. */
  unseen: number | null;
  unseenExamples: string[];
  /** The single value as text when cardinality is 1. */
  constantValue: string | null;
}

/** The bounds a value must stay within: the schema's range widened by the margin. */
export function allowedRange(feature: FeatureSchema, margin: number): { min: number; max: number } | null {
  if (feature.min === null || feature.max === null) return null;
  const widen = margin * (feature.max - feature.min);
  return { min: feature.min - widen, max: feature.max + widen };
}

export function judgeFeature(
  feature: FeatureSchema,
  observed: FeatureObservation,
  options: QualityOptions = DEFAULT_QUALITY_OPTIONS,
): Violation[] {
  const name = feature.name;
  if (observed.type === null) {
    return [{ feature: name, check: 'missing_column', severity: 'error', observed: null, expected: feature.type }];
  }
  const violations: Violation[] = [];
  if (typeChanged(feature, observed.type, options.typeCheck)) {
    const kindChanged = kindOfSqlType(observed.type) !== feature.kind;
    violations.push({
      feature: name,
      check: 'type_change',
      severity: kindChanged ? 'error' : 'warning',
      observed: observed.type,
      expected: feature.type,
    });
    if (kindChanged) return violations;
  }

  const range = allowedRange(feature, options.rangeMargin);
  if (range && observed.outside !== null && observed.present > 0 && observed.outside > 0) {
    const share = observed.outside / observed.present;
    violations.push({
      feature: name,
      check: 'out_of_range',
      severity: shareSeverity(share, options.outOfRange),
      observed: { share, min: observed.min ?? range.min, max: observed.max ?? range.max },
      expected: range,
    });
  }

  if (feature.categories && observed.unseen !== null && observed.present > 0 && observed.unseen > 0) {
    const share = observed.unseen / observed.present;
    violations.push({
      feature: name,
      check: 'unseen_categories',
      severity: shareSeverity(share, options.unseenCategories),
      observed: { share, examples: observed.unseenExamples },
      expected: feature.categories,
    });
  }

  const missingRate = observed.rows === 0 ? 0 : (observed.rows - observed.present) / observed.rows;
  // The difference of two rates carries rounding (0.15 − 0.10 < 0.05 in doubles): a hair of
  // slack keeps a jump of exactly the threshold on the side the user expects.
  const jump = missingRate - feature.missing_rate + RATE_SLACK;
  if (jump >= options.missingRateJump.warning) {
    violations.push({
      feature: name,
      check: 'missing_rate_jump',
      severity: jump >= options.missingRateJump.error ? 'error' : 'warning',
      observed: missingRate,
      expected: feature.missing_rate,
    });
  }

  const constant =
    observed.cardinality === 1 && observed.present >= 2 && feature.cardinality > 1 && observed.constantValue !== null;
  // A column that collapsed to one value is reported as constant, not also as a cardinality drop.
  if (feature.kind === 'categorical' && feature.cardinality > 0 && observed.present > 0 && !constant) {
    const factor = options.cardinalityFactor;
    const grew = observed.cardinality >= feature.cardinality * factor;
    const shrank =
      observed.cardinality * factor <= feature.cardinality && observed.present >= feature.cardinality * factor;
    if (grew || shrank) {
      violations.push({
        feature: name,
        check: 'cardinality_jump',
        severity: 'warning',
        observed: observed.cardinality,
        expected: feature.cardinality,
      });
    }
  }

  if (constant) {
    violations.push({
      feature: name,
      check: 'constant_column',
      severity: 'warning',
      observed: observed.constantValue ?? '',
      expected: feature.cardinality,
    });
  }
  return violations;
}

/** Table-level: fewer rows than expected. */
export function judgeVolume(rows: number, options: QualityOptions = DEFAULT_QUALITY_OPTIONS): Violation[] {
  const expected = options.expectedRows;
  if (expected === null || expected <= 0 || rows >= expected) return [];
  const drop = 1 - rows / expected + RATE_SLACK;
  if (drop < options.volumeDrop.warning) return [];
  return [
    {
      feature: null,
      check: 'volume_drop',
      severity: drop >= options.volumeDrop.error ? 'error' : 'warning',
      observed: rows,
      expected: Math.round(expected),
    },
  ];
}

/**
 * All violations, errors first, then warnings, then infos; within a severity the volume check
 * first, then features in schema order.
 */
export function judgeQuality(
  schema: DataSchema,
  rows: number,
  observations: ReadonlyMap<string, FeatureObservation>,
  options: QualityOptions = DEFAULT_QUALITY_OPTIONS,
): Violation[] {
  const violations = [...judgeVolume(rows, options)];
  for (const feature of schema.features) {
    const observed = observations.get(feature.name);
    if (observed) violations.push(...judgeFeature(feature, observed, options));
  }
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  // Array.prototype.sort is stable, so the order above survives within a severity.
  return violations.sort((a, b) => rank[a.severity] - rank[b.severity]);
}

function shareSeverity(share: number, thresholds: ShareThresholds): Severity {
  if (share >= thresholds.error) return 'error';
  if (share >= thresholds.warning) return 'warning';
  return 'info';
}
