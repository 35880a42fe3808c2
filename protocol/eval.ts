import { z } from 'zod';
import { ExecutionProvider } from './models';
import { RunOptions } from './replay';

/**
 * `sightline eval` / `POST /v1/eval` / the `eval` WebSocket query: one model on a labelled data
 * set (a golden set). The answer is a `ReplayReport` of kind `eval` (replay.ts): baseline null,
 * no flips or deltas, metrics overall and per slice with 95 % intervals, label sanity, latency,
 * gates.
 */
export const EvalRequest = RunOptions.extend({
  /** The labelled data: CSV, Parquet or JSON lines (model features as columns, or raw records with `transform`). */
  data: z.string().min(1).max(4000),
  /** The model: an .onnx path (or, on the daemon, a loaded model's `name@version`). */
  model: z.string().min(1).max(4000),
});
export type EvalRequest = z.infer<typeof EvalRequest>;
export type EvalRequestInput = z.input<typeof EvalRequest>;

// ── sightline validate MODEL.onnx ─────────────────────────────────────────────

export const ValidationCheck = z.object({
  /** load | card | signature | feature_map | smoke | outputs | range | latency | memory */
  check: z.string(),
  /** `info` (additive): a measurement with no limit to pass or fail (latency, memory without --max-p99-ms / --max-memory-mb). */
  status: z.enum(['pass', 'warn', 'fail', 'info']),
  message: z.string(),
});
export type ValidationCheck = z.infer<typeof ValidationCheck>;

/** `sightline validate MODEL.onnx --json`. */
export const ValidationReport = z.object({
  model: z.object({
    path: z.string(),
    /** sha256 of the file. */
    id: z.string(),
    name: z.string().nullable(),
    version: z.string().nullable(),
    bytes: z.number().int().nonnegative(),
    execution_provider: ExecutionProvider.nullable(),
    onnxruntime: z.string(),
  }),
  inputs: z.array(z.object({ name: z.string(), type: z.string(), shape: z.array(z.union([z.number(), z.string(), z.null()])) })),
  outputs: z.array(z.object({ name: z.string(), type: z.string(), shape: z.array(z.union([z.number(), z.string(), z.null()])) })),
  /** Where the smoke records came from: the workspace baseline, the traffic file, or synthetic in-range values. */
  smoke: z.object({
    source: z.string(),
    rows: z.number().int().nonnegative(),
    /** Scores of the smoke rows: min, mean, max (null when none). */
    score_min: z.number().nullable(),
    score_mean: z.number().nullable(),
    score_max: z.number().nullable(),
  }).nullable(),
  latency: z.object({
    calls: z.number().int().nonnegative(),
    batch_size: z.number().int().positive(),
    p50_ms: z.number().nonnegative(),
    p99_ms: z.number().nonnegative(),
    max_ms: z.number().nonnegative(),
  }).nullable(),
  memory: z.object({
    /** Resident set size before loading and after loading + the smoke and latency runs. */
    rss_before_bytes: z.number().int().nonnegative(),
    rss_after_bytes: z.number().int().nonnegative(),
    rss_delta_bytes: z.number().int(),
  }),
  checks: z.array(ValidationCheck),
  // ── additive fields ──
  /** The limits the latency and memory checks were held to (null: none given; those checks are then `info`). */
  limits: z.object({
    max_p99_ms: z.number().positive().nullable(),
    max_memory_mb: z.number().positive().nullable(),
  }).optional(),
  /** No check failed. */
  ok: z.boolean(),
});
export type ValidationReport = z.infer<typeof ValidationReport>;
