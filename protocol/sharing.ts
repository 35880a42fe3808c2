import { z } from 'zod';

/**
 * Sharing traces: `sightline export | diff | prune | forget | migrate` (`--json` outputs) and the
 * daemon's retention routes (`POST /v1/prune`, `POST /v1/forget`).
 */

const count = z.number().int().nonnegative();

// ── export ───────────────────────────────────────────────────────────────────

export const ExportFormat = z.enum(['duckdb', 'parquet', 'otlp', 'openlineage']);
export type ExportFormat = z.infer<typeof ExportFormat>;

export const RedactAction = z.enum(['drop', 'hash']);
export type RedactAction = z.infer<typeof RedactAction>;

/** A column that looks personal and is not redacted; `fix` is the option that would redact it. */
export const PiiWarning = z.object({
  /** The name a user passes to `--redact` (feature, attribute, fixed column, raw JSON key, baseline column). */
  column: z.string(),
  /** Where the values live: a feature or slice attribute of `predictions`, a fixed column, a key of `raw`, a baseline table. */
  where: z.enum(['feature', 'attribute', 'column', 'raw', 'baseline']),
  reasons: z.array(z.string()),
  /** Non-null values sampled for the value checks. */
  sampled: count,
  fix: z.string(),
  message: z.string(),
});
export type PiiWarning = z.infer<typeof PiiWarning>;

/** k-anonymity of the rows to be written, over the declared quasi-identifiers. */
export const KAnonymityReport = z.object({
  quasi_identifiers: z.array(z.string()),
  /** Declared quasi-identifiers left out of the classes: dropped by `--redact col=drop`. */
  ignored: z.array(z.object({ name: z.string(), reason: z.string() })),
  k: z.number().int().positive(),
  rows: count,
  /** Equivalence classes: distinct combinations of the quasi-identifiers (NULL counts as a value). */
  classes: count,
  /** Size of the smallest class; null when there are no rows. */
  smallest_class: count.nullable(),
  classes_below_k: count,
  rows_below_k: count,
  share_below_k: z.number(),
  /** Every class has at least k rows. */
  satisfied: z.boolean(),
  /** `--k` was given: an unsatisfied report refuses the export (exit 1) unless `--allow-below-k`. */
  enforced: z.boolean(),
});
export type KAnonymityReport = z.infer<typeof KAnonymityReport>;

export const AppliedRedaction = z.object({
  column: z.string(),
  action: RedactAction,
  /** What it applied to: `predictions.f_3 (feature origin)`, `labels.join_key`, `predictions.raw.origin`, … */
  targets: z.array(z.string()),
});

export const ExportReport = z.object({
  source: z.string(),
  out: z.string(),
  format: ExportFormat,
  /** False when the k-anonymity check refused the export (nothing was written). */
  written: z.boolean(),
  schema_version: z.number().int(),
  selection: z.object({
    since: z.string().nullable(),
    until: z.string().nullable(),
    model: z.string().nullable(),
    sample: z.number().nullable(),
    limit: z.number().int().nullable(),
  }),
  counts: z.object({
    predictions: count,
    labels: count,
    models: count,
    findings: count,
    /** Findings left out because they describe a dropped column. */
    findings_removed: count,
    component_runs: count,
    artifacts: count,
    baselines: count,
    runs: count,
    /** otlp: spans written; openlineage: events written. */
    records: count,
  }),
  models: z.array(z.object({ id: z.string(), name: z.string(), version: z.string() })),
  redactions: z.array(AppliedRedaction),
  /** Fingerprint of the hash key (HMAC of a fixed label): equal ids mean hashed values join across exports. Never the key. */
  key_id: z.string().nullable(),
  pii_warnings: z.array(PiiWarning),
  k_anonymity: KAnonymityReport.nullable(),
  /** Files written (relative to `out` for folders). */
  files: z.array(z.string()),
  bytes: count,
  warnings: z.array(z.string()),
});
export type ExportReport = z.infer<typeof ExportReport>;

// ── diff ─────────────────────────────────────────────────────────────────────

const ModelRef = z.object({ id: z.string(), name: z.string(), version: z.string() });

export const FindingDiffEntry = z.object({
  kind: z.string(),
  model_name: z.string().nullable(),
  feature: z.string().nullable(),
  metric: z.string().nullable(),
  baseline: z.string().nullable(),
  score_a: z.number().nullable(),
  score_b: z.number().nullable(),
  /** score_b − score_a (null when either is null). */
  delta: z.number().nullable(),
});
export type FindingDiffEntry = z.infer<typeof FindingDiffEntry>;

export const MetricDiff = z.object({ metric: z.string(), a: z.number().nullable(), b: z.number().nullable(), delta: z.number().nullable() });

export const DiffReport = z.object({
  a: z.object({ path: z.string(), schema_version: z.number().nullable(), predictions: count }),
  b: z.object({ path: z.string(), schema_version: z.number().nullable(), predictions: count }),
  models: z.object({
    added: z.array(ModelRef),
    removed: z.array(ModelRef),
    /** Same name@version, different content hash: the model file changed. */
    changed: z.array(z.object({ name: z.string(), version: z.string(), id_a: z.string(), id_b: z.string() })),
    unchanged: z.array(ModelRef),
  }),
  predictions: z.array(z.object({ model: z.string(), source: z.string(), a: count, b: count, delta: z.number().int() })),
  findings: z.object({
    added: z.array(FindingDiffEntry),
    removed: z.array(FindingDiffEntry),
    changed: z.array(FindingDiffEntry),
    unchanged: count,
  }),
  runs: z.object({
    only_a: z.array(z.object({ id: z.string(), kind: z.string(), label: z.string() })),
    only_b: z.array(z.object({ id: z.string(), kind: z.string(), label: z.string() })),
    /** Runs present in both (same id, or same kind and models), with their metric deltas. */
    compared: z.array(z.object({ id_a: z.string(), id_b: z.string(), kind: z.string(), label: z.string(), passed_a: z.boolean().nullable(), passed_b: z.boolean().nullable(), metrics: z.array(MetricDiff) })),
  }),
});
export type DiffReport = z.infer<typeof DiffReport>;

// ── retention ────────────────────────────────────────────────────────────────

/** `POST /v1/prune`: give `older_than` (a duration: 30d, 12h, 2w) or `before` (an ISO date/time). */
export const PruneRequest = z.object({
  older_than: z.string().max(40).optional(),
  before: z.string().max(40).optional(),
  dry_run: z.boolean().default(false),
});
export type PruneRequest = z.input<typeof PruneRequest>;

/** `POST /v1/forget`: a subject's join keys. */
export const ForgetRequest = z.object({
  keys: z.array(z.string().min(1).max(200)).min(1).max(100_000),
  /** Also delete rows of baseline tables whose column of this name equals a key. */
  baseline_column: z.string().min(1).max(200).optional(),
  dry_run: z.boolean().default(false),
});
export type ForgetRequest = z.input<typeof ForgetRequest>;

export const RetentionResult = z.object({
  trace: z.string(),
  action: z.enum(['prune', 'forget']),
  dry_run: z.boolean(),
  /** prune: rows strictly before this time were deleted. */
  cutoff: z.string().nullable(),
  deleted: z.object({
    predictions: count,
    labels: count,
    findings: count,
    flags: count,
    baseline_rows: count,
  }),
  /** forget: keys that matched no prediction or label. */
  keys_not_found: z.array(z.string()),
  bytes_before: count,
  bytes_after: count,
  /** The file was rewritten, so deleted rows no longer sit in freed blocks. */
  compacted: z.boolean(),
  notes: z.array(z.string()),
});
export type RetentionResult = z.infer<typeof RetentionResult>;

// ── migrate ──────────────────────────────────────────────────────────────────

export const MigrateResult = z.object({
  trace: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  migrated: z.boolean(),
  steps: z.array(z.object({ from: z.number().int(), to: z.number().int(), description: z.string() })),
  /** The copy kept before upgrading (null with --no-backup or when nothing changed). */
  backup: z.string().nullable(),
});
export type MigrateResult = z.infer<typeof MigrateResult>;
