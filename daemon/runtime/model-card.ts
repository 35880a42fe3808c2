import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelCard, SightlineError, type TensorSignature } from '../../protocol';
import type { OnnxMetadata } from './onnx-metadata';

/** The sidecar file next to a model: `m.onnx` → `m.sightline.json`. */
export function sidecarPath(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.sightline.json';
}

/**
 * The model card: ONNX metadata `sightline.card`, overridden field by field by the sidecar file,
 * with name/version falling back to the file name (`name-v2.onnx` → name, v2) and features
 * falling back to the input signature.
 */
export function loadModelCard(modelPath: string, meta: OnnxMetadata, inputs: TensorSignature[]): ModelCard {
  let raw: Record<string, unknown> = {};
  const embedded = meta.props['sightline.card'];
  if (embedded) raw = { ...parseJson(embedded, `${modelPath} metadata "sightline.card"`) };
  const side = sidecarPath(modelPath);
  if (existsSync(side)) raw = { ...raw, ...parseJson(readFileSync(side, 'utf8'), side) };
  const base = path.basename(modelPath).replace(/\.onnx$/i, '');
  const m = /^(.*?)[-_@]v?(\d[\w.]*)$/.exec(base);
  if (raw.name === undefined) raw.name = m ? m[1] : base;
  if (raw.version === undefined) raw.version = m ? `v${m[2]}` : meta.modelVersion !== undefined ? String(meta.modelVersion) : '1';
  if (raw.features === undefined) {
    raw.features = inputs.map((i) => ({ name: i.name, kind: i.type === 'string' || i.type === 'bool' ? 'categorical' : 'numeric' }));
  }
  const parsed = ModelCard.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SightlineError('model_load_failed', `model card of ${modelPath} is invalid at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? ''}`);
  }
  return parsed.data;
}

function parseJson(text: string, where: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new SightlineError('model_load_failed', `${where} is not a JSON object`);
}
