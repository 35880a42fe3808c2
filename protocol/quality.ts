import { z } from 'zod';
import { FeatureKind } from './model-card';

/**
 * Data quality: the schema inferred from reference data (a named baseline's stored profile, a
 * file, or the previous / week-ago window of a trace) and the violations found in current data.
 * `sightline quality --json` prints a `QualityReport`; `POST /v1/quality` answers it under
 * `report`. Documented in docs/analysis.md. The shape only grows.
 */

const count = z.number().int().min(0);
const share = z.number().min(0).max(1);

/** What the schema says of one feature. */
export const FeatureSchema = z.strictObject({
  name: z.string(),
  /** DuckDB type of the column when the schema was inferred, e.g. `DOUBLE`, `VARCHAR`. */
  type: z.string(),
  kind: FeatureKind,
  /** Share of rows without a value (NULL; for numeric features also NaN, ±∞, unparsable). */
  missing_rate: share,
  /** Distinct non-missing values. */
  cardinality: count,
  /** Numeric features with values: the observed range; null otherwise. */
  min: z.number().nullable(),
  max: z.number().nullable(),
  /** Categorical features with cardinality ≤ category_limit: the allowed categories; else null. */
  categories: z.array(z.string()).nullable(),
});
export type FeatureSchema = z.infer<typeof FeatureSchema>;

/** The data schema of reference data (stored as a baseline's `profile`). */
export const DataSchema = z.strictObject({
  row_count: count,
  /** Largest cardinality for which categories are listed (and unseen ones checked). */
  category_limit: count,
  features: z.array(FeatureSchema),
});
export type DataSchema = z.infer<typeof DataSchema>;

export const QualitySeverity = z.enum(['error', 'warning', 'info']);
export type QualitySeverity = z.infer<typeof QualitySeverity>;

const range = z.strictObject({ min: z.number(), max: z.number() });

const violation = <C extends string, O extends z.ZodType, E extends z.ZodType>(
  check: C,
  observed: O,
  expected: E,
  feature: z.ZodType<string | null> = z.string(),
) =>
  z.strictObject({
    feature,
    check: z.literal(check),
    severity: QualitySeverity,
    observed,
    expected,
  });

export const QualityViolation = z.discriminatedUnion('check', [
  /** Column present with a type of another family (numeric, text, boolean, timestamp, …): observed/expected type text. */
  violation('type_change', z.string(), z.string()),
  /** Column absent from the current data: expected is the schema's type. */
  violation('missing_column', z.null(), z.string()),
  /** Share of current values outside the schema's [min, max] (widened by the margin). */
  violation('out_of_range', z.strictObject({ share, min: z.number(), max: z.number() }), range),
  /** Share of current values whose category the schema does not list; a few examples. */
  violation('unseen_categories', z.strictObject({ share, examples: z.array(z.string()) }), z.array(z.string())),
  /** Current missing rate vs the schema's. */
  violation('missing_rate_jump', share, share),
  /** Current distinct values vs the schema's. */
  violation('cardinality_jump', count, count),
  /** Current rows vs the expected row count (table level: feature is null). */
  violation('volume_drop', count, count, z.null()),
  /** A single value (as text) where the schema saw `expected` distinct values. */
  violation('constant_column', z.string(), count),
]);
export type QualityViolation = z.infer<typeof QualityViolation>;

export const QualityCheck = z.enum([
  'type_change',
  'missing_column',
  'out_of_range',
  'unseen_categories',
  'missing_rate_jump',
  'cardinality_jump',
  'volume_drop',
  'constant_column',
]);
export type QualityCheck = z.infer<typeof QualityCheck>;

export const QualityReport = z.strictObject({
  /** Errors first, then warnings, then infos; within a severity the volume check, then features in schema order. */
  violations: z.array(QualityViolation),
});
export type QualityReport = z.infer<typeof QualityReport>;
