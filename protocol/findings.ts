import { z } from 'zod';

/**
 * A finding: an analysis result about one feature (drift, training–serving skew, a data-quality
 * violation) or about a slice of the data, as stored in the trace's `findings` table and pushed on
 * the WebSocket stream (`finding` events). Writers: the analysis engine. Readers: the language
 * server, the extension, SARIF. Readers must tolerate unknown keys and missing detail fields:
 * `details` is read field by field with the schemas below, never trusted as a whole.
 */

export const FindingKind = z.enum(['drift', 'skew', 'quality', 'slice']);
export type FindingKind = z.infer<typeof FindingKind>;

export const Finding = z.object({
  id: z.string(),
  /** ISO 8601. */
  time: z.string(),
  kind: FindingKind,
  /** The feature concerned; for slices, null or the first predicate's feature. */
  feature: z.string().nullable(),
  model_name: z.string().nullable(),
  /** Value of the deciding metric. Null means +∞ (e.g. drift against a constant reference). */
  score: z.number().nullable(),
  threshold: z.number().nullable(),
  /** Name of the deciding metric: psi, js, wasserstein_norm, linf, mismatch_rate, … */
  metric: z.string().nullable(),
  /** What the data was compared against: a baseline name, "previous window", … */
  baseline: z.string().nullable(),
  /** The current window, in words: "2001-04-01..2001-06-30", "last 10000 predictions", … */
  window_desc: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type Finding = z.infer<typeof Finding>;

// ── details, per kind (every field optional: read what is there) ─────────────

/**
 * Bins of a drift histogram: numeric bin edges (k edges → k+1 bins, open at both ends) or
 * categories. The per-bin proportions may sit inside the histogram (`ref`, `cur`) or next to it
 * in `details`; readers accept both.
 */
const binShares = { ref: z.array(z.number()).optional(), cur: z.array(z.number()).optional() };
export const DriftHistogram = z.union([
  z.object({ edges: z.array(z.number()), ...binShares }),
  z.object({ categories: z.array(z.string()), ...binShares }),
]);
export type DriftHistogram = z.infer<typeof DriftHistogram>;

export const DriftDetails = z.object({
  histogram: DriftHistogram.optional(),
  /** Proportion of reference / current rows per bin, in the order of the histogram's bins. */
  ref: z.array(z.number()).optional(),
  cur: z.array(z.number()).optional(),
  missing_ref: z.number().optional(),
  missing_cur: z.number().optional(),
  n_ref: z.number().optional(),
  n_cur: z.number().optional(),
  /** Every drift metric computed (psi, js, ks, wasserstein_norm, linf, chi2, …). */
  metrics: z.record(z.string(), z.unknown()).optional(),
});
export type DriftDetails = z.infer<typeof DriftDetails>;

export const SkewDetails = z.object({
  /** distribution | rows | replay */
  mode: z.string().optional(),
  /** Share of joined rows whose training and serving values differ, in [0, 1]. */
  mismatch_rate: z.number().optional(),
  mean_abs_diff: z.number().optional(),
  /** Example pairs, e.g. `{ key, training, serving }`. */
  examples: z.array(z.unknown()).optional(),
});
export type SkewDetails = z.infer<typeof SkewDetails>;

export const SlicePredicate = z.object({
  feature: z.string(),
  op: z.string(),
  value: z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()]))]),
});
export type SlicePredicate = z.infer<typeof SlicePredicate>;

export const SliceDetails = z.object({
  predicates: z.array(SlicePredicate).optional(),
  n: z.number().optional(),
  /** The slice's loss (error rate, log loss, …); the row's `metric` column names it. */
  metric: z.number().optional(),
  ci: z.array(z.number()).optional(),
  effect_size: z.number().optional(),
  p_adjusted: z.number().optional(),
});
export type SliceDetails = z.infer<typeof SliceDetails>;

export const QualityDetails = z.object({
  check: z.string().optional(),
  severity: z.string().optional(),
  observed: z.unknown().optional(),
  expected: z.unknown().optional(),
});
export type QualityDetails = z.infer<typeof QualityDetails>;

// ── the daemon's `findings` WebSocket query ──────────────────────────────────

export const FINDINGS_QUERY = 'findings';

export const FindingsQueryParams = z.object({
  feature: z.string().optional(),
  kind: FindingKind.optional(),
  model: z.string().optional(),
  /** Most recent first; default: all. */
  limit: z.number().int().positive().optional(),
});
export type FindingsQueryParams = z.infer<typeof FindingsQueryParams>;

export const FindingsQueryResult = z.object({ findings: z.array(Finding) });
export type FindingsQueryResult = z.infer<typeof FindingsQueryResult>;
