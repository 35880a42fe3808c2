import { z } from 'zod';

/** A feature value as it travels in JSON. NaN/Inf cannot be expressed and are refused by the daemon. */
export const FeatureValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);
export type FeatureValue = z.infer<typeof FeatureValue>;

export const Record = z.record(z.string(), FeatureValue);
export type FeatureRecord = z.infer<typeof Record>;

export const RawTensor = z.object({
  type: z.enum(['float32', 'float64', 'int32', 'int64', 'string', 'bool']),
  dims: z.array(z.number().int().nonnegative()).max(8),
  data: z.array(z.union([z.number(), z.string(), z.boolean()])),
});
export type RawTensor = z.infer<typeof RawTensor>;

/** Model reference: `name` (the default version), `name@version`, or a content hash prefix. */
export const ModelRef = z.string().min(1).max(300);

export const PredictRequest = z
  .object({
    model: ModelRef,
    /** Tabular case: one record per row, features by name. */
    records: z.array(Record).min(1).max(100_000).optional(),
    /** Raw tensors by ONNX input name (no feature logging beyond the tensors' shape). */
    tensors: z.record(z.string(), RawTensor).optional(),
    request_id: z.string().max(200).optional(),
    /** One join key per record (labels arriving later match on it). */
    join_keys: z.array(z.string().max(200)).optional(),
    /**
     * Event time of each record (ISO 8601), for replays of captured traffic whose predictions
     * belong to the time they were originally requested. Default: now.
     */
    times: z.array(z.string().datetime({ offset: true, local: true })).optional(),
    /** Extra per-record attributes kept for slicing (not fed to the model). */
    attributes: z.array(z.record(z.string(), FeatureValue)).optional(),
    /**
     * The raw request behind each record (before feature code ran), kept in the log under
     * `serve --log-raw` instead of the feature record, so skew replay can re-run the offline
     * feature code on exactly what serving saw.
     */
    raw: z.array(z.record(z.string(), FeatureValue)).optional(),
    /** Overrides the daemon's --durable for this request. */
    durable: z.boolean().optional(),
  })
  .refine((r) => (r.records ? 1 : 0) + (r.tensors ? 1 : 0) === 1, {
    message: 'give exactly one of `records` or `tensors`',
    path: ['records'],
  });
export type PredictRequest = z.infer<typeof PredictRequest>;

export const OutputValue = z.union([z.number(), z.string(), z.array(z.number()), z.array(z.string())]);

export const Prediction = z.object({
  id: z.string(),
  outputs: z.record(z.string(), OutputValue),
  score: z.number().nullable(),
  label: z.union([z.string(), z.number()]).nullable(),
});
export type Prediction = z.infer<typeof Prediction>;

export const PredictResponse = z.object({
  model: z.object({ id: z.string(), name: z.string(), version: z.string() }),
  execution_provider: z.string(),
  request_id: z.string(),
  latency_ms: z.number(),
  predictions: z.array(Prediction),
  /** Present when a shadow model ran on the same rows (its outputs are logged, not returned). */
  shadow: z.object({ model: z.string(), execution_provider: z.string() }).optional(),
});
export type PredictResponse = z.infer<typeof PredictResponse>;

/** Log predictions made elsewhere (no model run). */
export const LogPredictionsRequest = z.object({
  // Limits of ModelCard (name ≤ 200, version ≤ 100): a longer one was logged, then every later
  // drift, quality, skew and slices run failed to read the stored card (found by the protocol fuzzer).
  model: z.object({ name: z.string().min(1).max(200), version: z.string().min(1).max(100), id: z.string().max(200).optional() }),
  source: z.string().max(100).default('imported'),
  predictions: z
    .array(
      z.object({
        id: z.string().max(100).optional(),
        time: z.string().datetime({ offset: true, local: true }).optional(),
        request_id: z.string().max(200).optional(),
        join_key: z.string().max(200).optional(),
        features: Record,
        attributes: Record.optional(),
        score: z.number().nullable().optional(),
        label: z.union([z.string(), z.number()]).nullable().optional(),
        outputs: z.record(z.string(), OutputValue).optional(),
        latency_ms: z.number().nonnegative().optional(),
      }),
    )
    .min(1)
    .max(100_000),
});
export type LogPredictionsRequest = z.infer<typeof LogPredictionsRequest>;

export const LogPredictionsResponse = z.object({ ids: z.array(z.string()), logged: z.number() });

export const LabelsRequest = z.object({
  source: z.string().max(100).default('api'),
  labels: z
    .array(
      z
        .object({
          prediction_id: z.string().max(100).optional(),
          join_key: z.string().max(200).optional(),
          value: z.union([z.number(), z.string(), z.boolean()]),
          time: z.string().datetime({ offset: true, local: true }).optional(),
        })
        .refine((l) => l.prediction_id !== undefined || l.join_key !== undefined, {
          message: 'a label needs `prediction_id` or `join_key`',
          path: ['prediction_id'],
        }),
    )
    .min(1)
    .max(1_000_000),
});
export type LabelsRequest = z.infer<typeof LabelsRequest>;

export const LabelsResponse = z.object({ logged: z.number() });
