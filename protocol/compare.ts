import { z } from 'zod';
import { GateSpec } from './gates';
import { GateResult } from './replay';

/**
 * `sightline compare --a MODEL@VERSION --b MODEL@VERSION` (and `POST /v1/compare`): two model
 * versions on logged live traffic — an A/B split, a canary, or a shadow — compared on outcome
 * metrics, each with the test that fits its kind:
 *
 * | kind      | metrics                                    | per group              | test (B vs A)                     | interval of B − A        |
 * |-----------|--------------------------------------------|------------------------|-----------------------------------|--------------------------|
 * | `rate`    | accuracy, error_rate, positive_rate, label_rate | share, Wilson     | two-proportion z-test (pooled)    | Newcombe (Wilson hybrid) |
 * | `mean`    | log_loss, brier, abs_error, score          | mean, normal           | Welch's t-test                    | Welch (t quantile)       |
 * | `ordinal` | latency_ms, label (ordinal labels)         | median                 | Mann–Whitney U (ties, continuity) | none (median shift shown)|
 *
 * Power: the smallest sample per group that detects `min_effect` (absolute, in the metric's
 * units) with a two-sided test at `alpha` and the given `power`. Verdict per metric: `better` /
 * `worse` (significant, by the metric's direction), `different` (significant, no direction),
 * `not_enough_data` (not significant and fewer rows than the power analysis asks for),
 * `no_difference` (not significant with enough rows to have seen `min_effect`).
 */

export const CompareMetricKind = z.enum(['rate', 'mean', 'ordinal']);
export type CompareMetricKind = z.infer<typeof CompareMetricKind>;

export const CompareVerdict = z.enum(['better', 'worse', 'different', 'no_difference', 'not_enough_data']);
export type CompareVerdict = z.infer<typeof CompareVerdict>;

const Interval = z.tuple([z.number(), z.number()]);

export const CompareGroup = z.object({
  /** `name@version`. */
  model: z.string(),
  /** `served`, `shadow`, … */
  source: z.string(),
  /** Predictions in the window, and those with a label. */
  rows: z.number().int().nonnegative(),
  labelled: z.number().int().nonnegative(),
});
export type CompareGroup = z.infer<typeof CompareGroup>;

export const CompareMetric = z.object({
  metric: z.string(),
  kind: CompareMetricKind,
  /** higher / lower is better; neutral: a change is only `different`. */
  direction: z.enum(['higher', 'lower', 'neutral']),
  /** Rows the metric is computed on in each group (labelled rows for label metrics). */
  n_a: z.number().int().nonnegative(),
  n_b: z.number().int().nonnegative(),
  /** Share (rate), mean (mean) or median (ordinal) in each group, with its 95 % interval. */
  a: z.number().nullable(),
  b: z.number().nullable(),
  ci_a: Interval.nullable(),
  ci_b: Interval.nullable(),
  /** b − a and its 95 % interval. */
  difference: z.number().nullable(),
  ci: Interval.nullable(),
  /** `two-proportion z-test`, `Welch t-test`, `Mann–Whitney U`. */
  test: z.string(),
  /** z, t or U (U of group B). */
  statistic: z.number().nullable(),
  /** Welch's degrees of freedom. */
  df: z.number().nullable().optional(),
  p_value: z.number().min(0).max(1).nullable(),
  /** Ordinal: P(B > A) + ½P(B = A) (the common-language effect size, U / (n_a·n_b)). */
  effect: z.number().nullable().optional(),
  /** The effect the power analysis is for (absolute, in the metric's units) and the rows per group it needs. */
  min_effect: z.number().nonnegative().nullable(),
  required_per_group: z.number().int().nonnegative().nullable(),
  verdict: CompareVerdict,
  /** The verdict in words. */
  message: z.string(),
});
export type CompareMetric = z.infer<typeof CompareMetric>;

export const CompareReport = z.object({
  schema: z.literal(1),
  kind: z.literal('compare'),
  run_id: z.string().nullable(),
  trace: z.string(),
  window: z.string(),
  /** `ab` (both served), `canary` (B served to a small share), `shadow` (B scored the same requests, not served). */
  design: z.enum(['ab', 'canary', 'shadow']),
  a: CompareGroup,
  b: CompareGroup,
  alpha: z.number(),
  power: z.number(),
  /** Classification threshold used for the rate metrics. */
  threshold: z.number().nullable(),
  metrics: z.array(CompareMetric),
  /** The verdict of the first (primary) metric. */
  verdict: CompareVerdict,
  summary: z.string(),
  gates: z.array(GateResult),
  passed: z.boolean(),
  warnings: z.array(z.string()),
});
export type CompareReport = z.infer<typeof CompareReport>;

export const CompareRequest = z.object({
  /** `name@version` of each side. */
  a: z.string().min(1).max(300),
  b: z.string().min(1).max(300),
  /** Metrics, primary first, each optionally `name:higher|lower|neutral` to set its direction. */
  metrics: z.array(z.string().min(1).max(100)).max(20).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  /** `served`, `shadow`, `any`; default: served, and shadow for a side that has only shadow rows. */
  source_a: z.string().max(100).optional(),
  source_b: z.string().max(100).optional(),
  /** The effect the power analysis looks for, on the primary metric (default per kind, see the CLI help). */
  min_effect: z.number().positive().optional(),
  power: z.number().gt(0).lt(1).default(0.8),
  alpha: z.number().gt(0).lt(1).default(0.05),
  threshold: z.number().optional(),
  gates: z.array(GateSpec).max(100).default([]),
  /** Store the comparison as a run (kind `compare`). */
  save: z.boolean().default(false),
});
export type CompareRequest = z.infer<typeof CompareRequest>;
export type CompareRequestInput = z.input<typeof CompareRequest>;
