/**
 * Data-quality shapes: the schema inferred from reference data (`inferSchema`) and the
 * violations found in current data (`checkQuality`). (Here until protocol/ takes them.)
 */
import { z } from 'zod';

const count = z.number().int().min(0);
const share = z.number().min(0).max(1);

export const FeatureKindSchema = z.enum(['numeric', 'categorical']);

export const FeatureSchemaSchema = z.strictObject({
  name: z.string(),
  /** DuckDB type of the column when the schema was inferred, e.g. `DOUBLE`, `VARCHAR`. */
  type: z.string(),
  kind: FeatureKindSchema,
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

export const DataSchemaSchema = z.strictObject({
  row_count: count,
  /** Largest cardinality for which categories are listed (and unseen ones checked). */
  category_limit: count,
  features: z.array(FeatureSchemaSchema),
});

export const SeveritySchema = z.enum(['error', 'warning', 'info']);

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
    severity: SeveritySchema,
    observed,
    expected,
  });

export const ViolationSchema = z.discriminatedUnion('check', [
  /** Column present with another type than in the schema: observed/expected type text. */
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

export const QualityReportSchema = z.strictObject({
  /** Errors first, then warnings, then infos; within a severity in schema feature order. */
  violations: z.array(ViolationSchema),
});

export type FeatureSchema = z.infer<typeof FeatureSchemaSchema>;
export type DataSchema = z.infer<typeof DataSchemaSchema>;
export type Severity = z.infer<typeof SeveritySchema>;
export type Violation = z.infer<typeof ViolationSchema>;
export type QualityCheck = Violation['check'];
export type QualityReport = z.infer<typeof QualityReportSchema>;
