import * as ort from 'onnxruntime-node';
import type { FeatureRecord, RawTensor } from '../../protocol';
import { SightlineError } from '../../protocol';
import type { ElementType, ModelLayout } from './layout';

/** A validated batch: the typed value of each feature per row (fed to the model and logged). */
export interface ConvertedBatch {
  rows: number;
  /** values[featureIndex][row] in the layout's feature order. */
  values: (number | string)[][];
  /** Slice attributes found in the records (not fed to the model), per row. */
  attributes: Record<string, number | string | null>[];
}

/**
 * Checks every record against the model (unknown/missing features, types, NaN/Inf) and builds
 * the input tensors. Throws a SightlineError naming the first bad field; nothing is logged for a
 * rejected request because conversion happens before inference and logging.
 */
export function validateRecords(records: FeatureRecord[], layout: ModelLayout): ConvertedBatch {
  const n = records.length;
  const features = layout.features;
  const known = new Set(features.map((f) => f.name));
  const attrs = new Set(layout.sliceAttributes.filter((a) => !known.has(a)));
  const values: (number | string)[][] = features.map(() => new Array(n));
  const attributes: Record<string, number | string | null>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const rec = records[i] as FeatureRecord;
    for (const key of Object.keys(rec)) {
      if (!known.has(key) && !attrs.has(key)) {
        throw new SightlineError('unknown_feature', `records[${i}] has "${key}", which is not a feature of this model (features: ${features.map((f) => f.name).join(', ')}). Pass extra fields as \`attributes\`.`, ['records', i, key]);
      }
    }
    for (let f = 0; f < features.length; f++) {
      const spec = features[f]!;
      const slotType = layout.mode === 'packed' ? layout.slots[0]!.type : layout.slots[f]!.type;
      const v = rec[spec.name];
      if (v === undefined || v === null) {
        throw new SightlineError('missing_feature', `records[${i}] lacks feature "${spec.name}" (${spec.kind}); the model needs a value for it`, ['records', i, spec.name]);
      }
      values[f]![i] = coerce(v, slotType, ['records', i, spec.name]);
    }
    const a: Record<string, number | string | null> = {};
    for (const name of attrs) {
      const v = rec[name];
      if (v !== undefined) a[name] = typeof v === 'boolean' ? String(v) : v;
    }
    attributes[i] = a;
  }
  return { rows: n, values, attributes };
}

/** Builds the input tensors of `n` rows from per-feature value columns (possibly merged batches). */
export function buildFeeds(layout: ModelLayout, values: (number | string)[][], n: number): Record<string, ort.Tensor> {
  const features = layout.features;
  const feeds: Record<string, ort.Tensor> = {};
  if (layout.mode === 'packed') {
    const slot = layout.slots[0]!;
    const width = features.length;
    const flat = new Array<number | string>(n * width);
    for (let i = 0; i < n; i++) for (let f = 0; f < width; f++) flat[i * width + f] = values[f]![i]!;
    feeds[slot.name] = makeTensor(slot.type, flat, [n, width]);
  } else {
    layout.slots.forEach((slot, f) => {
      feeds[slot.name] = makeTensor(slot.type, values[f]!, slot.rank === 1 ? [n] : [n, 1]);
    });
  }
  return feeds;
}

/** Raw tensors as sent by a client: checked for type, element count and finiteness. */
export function rawToFeeds(tensors: Record<string, RawTensor>, inputNames: string[]): { feeds: Record<string, ort.Tensor>; rows: number } {
  const feeds: Record<string, ort.Tensor> = {};
  let rows = -1;
  for (const name of Object.keys(tensors)) {
    if (!inputNames.includes(name)) throw new SightlineError('unknown_feature', `tensor "${name}" is not an input of this model (inputs: ${inputNames.join(', ')})`, ['tensors', name]);
  }
  for (const name of inputNames) {
    const t = tensors[name];
    if (!t) throw new SightlineError('missing_feature', `tensor for input "${name}" is missing`, ['tensors', name]);
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SightlineError('bad_shape', `tensor "${name}" has dims [${t.dims.join(',')}] (${count} elements) but ${t.data.length} values`, ['tensors', name, 'data']);
    const data = t.data.map((v, i) => coerce(v, t.type, ['tensors', name, 'data', i]));
    feeds[name] = makeTensor(t.type, data, t.dims);
    const batch = t.dims[0] ?? 1;
    if (rows === -1) rows = batch;
  }
  return { feeds, rows: Math.max(rows, 0) };
}

function coerce(v: number | string | boolean, type: ElementType, path: (string | number)[]): number | string {
  if (type === 'string') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new SightlineError('bad_value', `${path.join('.')} is ${v}; expected a category`, path);
    return typeof v === 'string' ? v : String(v);
  }
  let num: number;
  if (typeof v === 'number') num = v;
  else if (typeof v === 'boolean') num = v ? 1 : 0;
  else throw new SightlineError('bad_value', `${path.join('.')} is the string ${JSON.stringify(v.slice(0, 50))}; expected a number (${type})`, path);
  if (!Number.isFinite(num)) throw new SightlineError('bad_value', `${path.join('.')} is ${num}; NaN and Infinity are refused`, path);
  if ((type === 'int32' || type === 'int64') && !Number.isInteger(num)) throw new SightlineError('bad_value', `${path.join('.')} is ${num}; expected an integer (${type})`, path);
  if (type === 'int32' && (num > 2147483647 || num < -2147483648)) throw new SightlineError('bad_value', `${path.join('.')} is out of int32 range`, path);
  if (type === 'float32' && Math.abs(num) > 3.4028234663852886e38) throw new SightlineError('bad_value', `${path.join('.')} is ${num}, beyond float32 range`, path);
  return num;
}

function makeTensor(type: ElementType, data: (number | string)[], dims: number[]): ort.Tensor {
  switch (type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(data as number[]), dims);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(data as number[]), dims);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(data as number[]), dims);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from((data as number[]).map((x) => BigInt(x))), dims);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(data as number[]), dims);
    case 'string': return new ort.Tensor('string', data as string[], dims);
  }
}

/** Output tensors split into per-row JSON values. */
export function splitOutputs(outputs: ort.InferenceSession.OnnxValueMapType, rows: number): Record<string, number | string | number[] | string[]>[] {
  const result: Record<string, number | string | number[] | string[]>[] = Array.from({ length: rows }, () => ({}));
  for (const [name, value] of Object.entries(outputs)) {
    const t = value as ort.Tensor;
    if (!t || typeof t !== 'object' || !('data' in t) || !('dims' in t)) continue; // maps/sequences are not logged row-wise
    const dims = t.dims as readonly number[];
    const per = rows > 0 && dims.length > 0 && dims[0] === rows ? t.size / rows : -1;
    if (per <= 0) continue;
    const data = t.data as ArrayLike<number | bigint | string>;
    for (let r = 0; r < rows; r++) {
      if (per === 1) {
        result[r]![name] = toJs(data[r]!);
      } else {
        const row: (number | string)[] = [];
        for (let k = 0; k < per; k++) row.push(toJs(data[r * per + k]!));
        result[r]![name] = row as number[] | string[];
      }
    }
  }
  return result;
}

function toJs(v: number | bigint | string): number | string {
  return typeof v === 'bigint' ? Number(v) : v;
}
