import { z } from 'zod';

/**
 * What Sightline needs to know about a model beyond its ONNX signature: the named features and
 * their kinds, the label, which outputs carry the score, and the slice attributes. Read from the
 * ONNX `metadata_props` key `sightline.card` and/or a sidecar `<model>.sightline.json` (the
 * sidecar wins field by field).
 */
export const FeatureKind = z.enum(['numeric', 'categorical']);
export type FeatureKind = z.infer<typeof FeatureKind>;

export const FeatureSpec = z.object({
  name: z.string().min(1).max(200),
  kind: FeatureKind,
  dtype: z.enum(['float32', 'float64', 'int32', 'int64', 'string', 'bool']).optional(),
});
export type FeatureSpec = z.infer<typeof FeatureSpec>;

export const ModelCard = z.object({
  name: z.string().min(1).max(200),
  version: z.string().min(1).max(100),
  task: z.enum(['binary_classification', 'multiclass_classification', 'regression']).default('binary_classification'),
  features: z.array(FeatureSpec).default([]),
  label: z
    .object({ name: z.string(), definition: z.string().optional(), positive: z.union([z.number(), z.string()]).optional() })
    .optional(),
  outputs: z.object({ probability: z.string().optional(), label: z.string().optional(), value: z.string().optional() }).default({}),
  slice_attributes: z.array(z.string()).default([]),
  threshold: z.number().optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  feature_code: z.object({ training: z.string().optional(), serving: z.string().optional() }).optional(),
});
export type ModelCard = z.infer<typeof ModelCard>;
