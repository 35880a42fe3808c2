import { z } from 'zod';

/**
 * Lineage (after mltrace, improved): component runs with their input and output artifacts.
 * A run depends on the run that produced an artifact with the same content hash it reads;
 * matching by name alone is a fallback that the trace reports as a warning.
 */

export const ArtifactKind = z.enum(['data', 'features', 'model', 'labels', 'report']);
export type ArtifactKind = z.infer<typeof ArtifactKind>;

/** sha256 hex of the content (of a file: its bytes, streamed), so model files match model ids. */
export const ContentHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest (64 lowercase hex characters)');

const IsoTime = z.string().datetime({ offset: true, local: true });
const RunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{5,127}$/, 'must be 6–128 characters of letters, digits, . _ : -');

/** An input or output of a run: a file (hash streamed by the SDK) or an object (hash given). */
export const ArtifactRef = z.object({
  /** Stable name; the SDKs use the file's path relative to its git repository. Versions share a name. */
  name: z.string().min(1).max(1000),
  kind: ArtifactKind.default('data'),
  uri: z.string().max(4000).optional(),
  content_hash: ContentHash.optional(),
  size: z.number().int().nonnegative().optional(),
});
export type ArtifactRef = z.input<typeof ArtifactRef>;

export const RunStatus = z.enum(['ok', 'failed']);
export type RunStatus = z.infer<typeof RunStatus>;

/** `POST /v1/runs`: one component run. Also the line format of `$SIGHTLINE_HOME/spool/*.jsonl`. */
export const RunRequest = z.object({
  /** Client-chosen id (the SDKs send a UUID, so a retried or spooled run is stored once). */
  id: RunId.optional(),
  component: z.string().min(1).max(200),
  /** Component metadata; given values update the component, absent ones leave it as it is. */
  owner: z.string().max(200).optional(),
  tags: z.array(z.string().min(1).max(100)).max(50).optional(),
  description: z.string().max(4000).optional(),
  start: IsoTime,
  /** Default: `start`. */
  end: IsoTime.optional(),
  status: RunStatus.default('ok'),
  git_commit: z.string().regex(/^[0-9a-f]{7,64}$/, 'must be a hex commit id').nullable().optional(),
  git_dirty: z.boolean().nullable().optional(),
  /** Where the step's code is: a path (relative to the repository when the SDK knows it) and line. */
  code_file: z.string().max(2000).nullable().optional(),
  code_line: z.number().int().positive().nullable().optional(),
  params: z.record(z.string().max(200), z.json()).default({}),
  metrics: z.record(z.string().max(200), z.number()).default({}),
  notes: z.string().max(10_000).nullable().optional(),
  inputs: z.array(ArtifactRef).max(2000).default([]),
  outputs: z.array(ArtifactRef).max(2000).default([]),
});
export type RunRequest = z.input<typeof RunRequest>;
export type RunRecord = z.output<typeof RunRequest>;

export const RunResponse = z.object({
  id: z.string(),
  component: z.string(),
  /** True when a run with this id was already stored (a retry or a re-ingested spool line): nothing changed. */
  duplicate: z.boolean(),
  inputs: z.array(z.string()).describe('artifact ids, in request order'),
  outputs: z.array(z.string()),
  /** Loaded models whose content hash equals one of the outputs (their training run is now this one or an earlier producer). */
  linked_models: z.array(z.string()),
});
export type RunResponse = z.infer<typeof RunResponse>;

export const FlagTargetKind = z.enum(['prediction', 'artifact', 'run']);
export type FlagTargetKind = z.infer<typeof FlagTargetKind>;

/** `POST /v1/flags`: mark outputs as wrong. Every id must exist, or nothing is flagged. */
export const FlagRequest = z.object({
  target_kind: FlagTargetKind.default('prediction'),
  /** Prediction UUIDs, run ids, or artifact ids / content hashes. */
  ids: z.array(z.string().min(1).max(200)).min(1).max(100_000),
  reason: z.string().max(2000).optional(),
  source: z.string().min(1).max(200).default('api'),
});
export type FlagRequest = z.input<typeof FlagRequest>;

export const FlagResponse = z.object({ target_kind: FlagTargetKind, flagged: z.number().int() });
export type FlagResponse = z.infer<typeof FlagResponse>;

export const Flag = z.object({ reason: z.string().nullable(), time: z.string(), source: z.string().nullable() });
export type Flag = z.infer<typeof Flag>;

// ── trace ────────────────────────────────────────────────────────────────────

/** WS query `trace` and `POST /v1/trace`: exactly one of the targets. */
export const TraceQuery = z.object({
  /** Anything: a prediction UUID, a run id (or unique prefix), an artifact id, content hash (or prefix) or name. */
  target: z.string().min(1).max(1000).optional(),
  prediction: z.string().min(1).max(100).optional(),
  run: z.string().min(1).max(200).optional(),
  /** Artifact id, content hash (or a prefix of ≥ 8 hex), or name (its newest version). */
  artifact: z.string().min(1).max(1000).optional(),
  /** A run is stale when an input was older than this when it ran. */
  max_age_days: z.number().positive().max(36_500).default(30),
});
export type TraceQuery = z.input<typeof TraceQuery>;

const NodeBase = { key: z.string(), flags: z.array(Flag) };

export const PredictionNode = z.object({
  type: z.literal('prediction'), ...NodeBase,
  id: z.string(), time: z.string(), model_id: z.string(), model: z.string(), version: z.string(),
  score: z.number().nullable(), label: z.string().nullable(), source: z.string(),
});
export const ModelNode = z.object({
  type: z.literal('model'), ...NodeBase,
  id: z.string().describe('sha256 of the .onnx file'), name: z.string(), version: z.string(), path: z.string().nullable(),
  first_seen: z.string().nullable(), training_run_id: z.string().nullable(),
});
export const RunNode = z.object({
  type: z.literal('run'), ...NodeBase,
  id: z.string(), component: z.string(), start: z.string(), end: z.string().nullable(), status: z.string(),
  git_commit: z.string().nullable(), git_dirty: z.boolean().nullable(),
  code_file: z.string().nullable(), code_line: z.number().nullable(),
  params: z.record(z.string(), z.unknown()), metrics: z.record(z.string(), z.number()), notes: z.string().nullable(),
  stale: z.boolean(), stale_reasons: z.array(z.string()),
});
export const ArtifactNode = z.object({
  type: z.literal('artifact'), ...NodeBase,
  id: z.string(), name: z.string(), kind: z.string(), uri: z.string().nullable(), content_hash: z.string().nullable(),
  size: z.number().nullable(), created: z.string(),
});
export const TraceNode = z.discriminatedUnion('type', [PredictionNode, ModelNode, RunNode, ArtifactNode]);
export type TraceNode = z.infer<typeof TraceNode>;
export type PredictionNode = z.infer<typeof PredictionNode>;
export type ModelNode = z.infer<typeof ModelNode>;
export type RunNode = z.infer<typeof RunNode>;
export type ArtifactNode = z.infer<typeof ArtifactNode>;

/**
 * Edges point upstream, from a node to what it came from: prediction → model (`made_by`),
 * model → the artifact with its content hash (`same_content`), run → its input (`read`),
 * artifact → the run that produced it (`produced_by`, matched by `hash` or by `name` only).
 */
export const TraceEdge = z.object({
  from: z.string(),
  to: z.string(),
  relation: z.enum(['made_by', 'same_content', 'read', 'produced_by']),
  match: z.enum(['hash', 'name']).optional(),
});
export type TraceEdge = z.infer<typeof TraceEdge>;

/** `sightline trace --json`, the WS query `trace`: the upstream graph of one target. */
export const TraceResult = z.object({
  root: z.string(),
  nodes: z.array(TraceNode),
  edges: z.array(TraceEdge),
  /** Name-only matches, contents that match no logged output, producers that ran after their reader. */
  warnings: z.array(z.string()),
  stale_runs: z.array(z.string()),
  max_age_days: z.number(),
});
export type TraceResult = z.infer<typeof TraceResult>;

// ── review ───────────────────────────────────────────────────────────────────

/** WS query `review` and `POST /v1/review`. */
export const ReviewQuery = z.object({
  /** Benjamini–Hochberg false discovery rate for `significant`. */
  alpha: z.number().gt(0).lt(1).default(0.05),
  limit: z.number().int().positive().max(10_000).default(20),
});
export type ReviewQuery = z.input<typeof ReviewQuery>;

export const ReviewEntry = z.object({
  rank: z.number().int(),
  kind: z.enum(['run', 'artifact', 'model']),
  id: z.string(),
  label: z.string(),
  /** Flagged predictions whose trace holds this node / all flagged predictions. */
  flagged_with: z.number().int(),
  flagged_total: z.number().int(),
  unflagged_with: z.number().int(),
  unflagged_total: z.number().int(),
  /** Share of flagged traces holding it minus share of unflagged traces holding it (effect size). */
  difference: z.number(),
  /** ln odds ratio with 0.5 added to each cell (Haldane–Anscombe). */
  log_odds_ratio: z.number(),
  /** Fisher's exact test, two-sided (as scipy.stats.fisher_exact). */
  p_value: z.number(),
  /** Benjamini–Hochberg adjusted p-value over all candidates. */
  q_value: z.number(),
  significant: z.boolean(),
  /** Other nodes found in exactly the same traces: the data cannot tell them apart. */
  same_traces_as: z.array(z.string()),
});
export type ReviewEntry = z.infer<typeof ReviewEntry>;

export const ReviewResult = z.object({
  flagged: z.number().int(),
  unflagged: z.number().int(),
  models: z.number().int(),
  alpha: z.number(),
  method: z.string(),
  entries: z.array(ReviewEntry),
  /** Flags on runs and artifacts (shown in traces; the statistics compare flagged predictions). */
  flagged_runs: z.array(z.string()),
  flagged_artifacts: z.array(z.string()),
});
export type ReviewResult = z.infer<typeof ReviewResult>;
