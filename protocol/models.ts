import { z } from 'zod';
import { ModelCard } from './model-card';

export const TensorSignature = z.object({
  name: z.string(),
  type: z.string(),
  /** Dimensions; symbolic ones (batch) are strings, unknown ones null. */
  shape: z.array(z.union([z.number(), z.string(), z.null()])),
});
export type TensorSignature = z.infer<typeof TensorSignature>;

export const ExecutionProvider = z.enum(['cpu', 'webgpu', 'cuda']);
export type ExecutionProvider = z.infer<typeof ExecutionProvider>;

export const ModelInfo = z.object({
  id: z.string().describe('sha256 of the .onnx file'),
  name: z.string(),
  version: z.string(),
  path: z.string(),
  state: z.enum(['loaded', 'unloaded', 'failed']),
  requested_provider: ExecutionProvider,
  execution_provider: z.string().describe('the provider that actually runs'),
  fallback_reason: z.string().optional(),
  inputs: z.array(TensorSignature),
  outputs: z.array(TensorSignature),
  card: ModelCard,
  is_default: z.boolean(),
  shadow_of: z.string().optional(),
  loaded_at: z.string(),
  predictions: z.number().optional(),
  /** Inference calls made; below the number of requests when micro-batching merged them. */
  batches: z.number().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const ModelsResponse = z.object({ models: z.array(ModelInfo) });
export type ModelsResponse = z.infer<typeof ModelsResponse>;

export const LoadModelRequest = z.object({
  path: z.string().min(1),
  provider: ExecutionProvider.optional(),
  /** Make this version the default for its name (hot swap). */
  make_default: z.boolean().default(true),
  /** Run this model as shadow of another model name. */
  shadow_of: z.string().optional(),
});
export type LoadModelRequest = z.infer<typeof LoadModelRequest>;

export const HealthResponse = z.object({
  status: z.literal('ok'),
  protocol: z.number(),
  version: z.string(),
  pid: z.number(),
  trace: z.string(),
  uptime_s: z.number(),
  models: z.number(),
  predictions_logged: z.number(),
  pending_rows: z.number(),
  durable: z.boolean(),
  onnxruntime: z.string(),
  /** The WebSocket hub: subscribers, events held for congested ones, events dropped since start. */
  stream: z.object({ subscribers: z.number(), queued_events: z.number(), dropped_events: z.number() }).optional(),
  /**
   * Where the daemon's memory is, in MB: the process's resident set, V8's heap and the native
   * memory V8 knows of, and DuckDB's own accounting (its buffer pool: cached blocks, query memory).
   */
  memory: z.object({
    rss_mb: z.number(),
    heap_used_mb: z.number(),
    /** V8's heap as committed (used plus pages V8 keeps for reuse). */
    heap_total_mb: z.number(),
    external_mb: z.number(),
    duckdb_mb: z.number(),
    /** DuckDB's memory by its tag (BASE_TABLE: cached table blocks; HASH_TABLE, ORDER_BY …: queries), tags over 1 MB. */
    duckdb_tags_mb: z.record(z.string(), z.number()).optional(),
    duckdb_limit_mb: z.number().nullable(),
  }).optional(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** Contents of `$SIGHTLINE_HOME/daemon.json` (mode 0600): how clients find and authenticate. */
export const DaemonInfo = z.object({
  port: z.number(),
  host: z.literal('127.0.0.1'),
  token: z.string(),
  pid: z.number(),
  trace: z.string(),
  protocol: z.number(),
  started_at: z.string(),
});
export type DaemonInfo = z.infer<typeof DaemonInfo>;
