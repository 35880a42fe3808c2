import type { FeatureSpec, ModelCard, TensorSignature } from '../../protocol';
import { SightlineError } from '../../protocol';

/** ONNX element types Sightline converts JSON values into. */
export type ElementType = 'float32' | 'float64' | 'int32' | 'int64' | 'string' | 'bool';

export interface InputSlot {
  name: string;
  type: ElementType;
  /** Rank of the input: [N] → 1, [N,1] → 2. */
  rank: number;
}

/**
 * How named record features map onto a model's tensors:
 * - `per_feature`: one ONNX input per feature, shaped [N] or [N,1] (what the sample models and
 *   skl2onnx-style pipelines with ColumnTransformer produce);
 * - `packed`: a single [N,F] input whose columns are the card's features in order.
 */
export interface ModelLayout {
  mode: 'per_feature' | 'packed';
  features: FeatureSpec[];
  slots: InputSlot[];
  sliceAttributes: string[];
}

export function elementType(onnxType: string): ElementType | null {
  switch (onnxType) {
    case 'float32': case 'float': return 'float32';
    case 'float64': case 'double': return 'float64';
    case 'int32': return 'int32';
    case 'int64': return 'int64';
    case 'string': return 'string';
    case 'bool': return 'bool';
    default: return null;
  }
}

export function deriveLayout(card: ModelCard, inputs: TensorSignature[]): ModelLayout {
  const slots: InputSlot[] = inputs.map((i) => {
    const type = elementType(i.type);
    if (!type) throw new SightlineError('unsupported', `model input "${i.name}" has type ${i.type}, which Sightline cannot feed from records (send raw tensors instead)`);
    return { name: i.name, type, rank: i.shape.length };
  });
  const declared = card.features;
  const byName = new Map(declared.map((f) => [f.name, f]));
  const allInputsAreFeatures = slots.every((s) => s.rank <= 2 && (declared.length === 0 || byName.has(s.name)));
  const single = slots.length === 1 ? slots[0] : undefined;
  const packedWidth = single && single.rank === 2 ? inputs[0]?.shape[1] : undefined;
  if (single && declared.length > 1 && (packedWidth === declared.length || packedWidth === null || typeof packedWidth === 'string') && !byName.has(single.name)) {
    return { mode: 'packed', features: declared, slots, sliceAttributes: card.slice_attributes };
  }
  if (!allInputsAreFeatures) {
    const missing = slots.filter((s) => !byName.has(s.name)).map((s) => s.name);
    throw new SightlineError('unsupported', `model inputs ${missing.join(', ')} are not features in the model card; add them to the card or send raw tensors`);
  }
  const features: FeatureSpec[] = slots.map((s) => byName.get(s.name) ?? { name: s.name, kind: s.type === 'string' || s.type === 'bool' ? 'categorical' : 'numeric', dtype: s.type });
  return { mode: 'per_feature', features, slots, sliceAttributes: card.slice_attributes };
}
