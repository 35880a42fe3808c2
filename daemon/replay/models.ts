/**
 * The models of a run: opened in a registry of the run's own (its thread settings, its provider),
 * never the daemon's serving registry, and released when the run ends. Scoring calls
 * onnxruntime directly on whole batches (no micro-batcher, no per-row output objects): the
 * primary output (probability or value) and the predicted class come back as typed columns.
 */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { SightlineError, type EvaluationTask, type ExecutionProvider } from '../../protocol';
import type { Engine } from '../engine';
import { ModelRegistry, type LoadedModel } from '../runtime/registry';
import { buildFeeds } from '../runtime/tensors';

const ortTensor = ort.Tensor;

export interface RunModelOptions {
  provider: ExecutionProvider;
  intraOpThreads?: number;
  interOpThreads?: number;
}

/** An .onnx path as given, or (on a daemon) the file of a loaded model called `name@version` / `name`. */
export function resolveModelPath(ref: string, engine: Engine | null, cwd = process.cwd()): string {
  const abs = path.resolve(cwd, ref);
  if (existsSync(abs) && statSync(abs).isFile()) return abs;
  if (engine) {
    try {
      return engine.registry.resolve(ref).path;
    } catch {
      /* fall through to the file error */
    }
  }
  throw new SightlineError('bad_file', `model ${ref}: no such .onnx file${engine ? ' and no loaded model of that name' : ''} (${abs})`);
}

/**
 * Intra-op threads of a run's sessions when the request names none: one fewer than the cores,
 * at least one. onnxruntime's own default (a pool as wide as the machine, per session, whose
 * threads spin-wait between operators) fights the rest of a run for the cores: the JavaScript
 * thread that converts every batch and calls the session, DuckDB's threads that stream the next
 * batch, and the other model's pool. On a 2-core machine that made the bulk pass 2–3× slower than
 * one thread per session, for raw onnxruntime-node as much as for a replay (test/bench/replay-bench.ts).
 */
export function defaultRunThreads(cores = os.availableParallelism()): number {
  return Math.max(1, cores - 1);
}

export function openRunRegistry(opts: RunModelOptions): ModelRegistry {
  return new ModelRegistry(
    // onnxruntime's memory arena stays on, as for serving: warmUp (score.ts) grows it to a batch's
    // size while the traffic is read, so the bulk pass allocates nothing new.
    { maxBatchRows: 1 << 20, maxWaitMs: 0, ...(opts.intraOpThreads ? { intraOpThreads: opts.intraOpThreads } : {}), ...(opts.interOpThreads ? { interOpThreads: opts.interOpThreads } : {}) },
    opts.provider,
  );
}

/** The evaluation task of a model card (binary classification or regression; multiclass is refused). */
export function taskOf(model: LoadedModel): EvaluationTask {
  const task = model.card.task;
  if (task === 'binary_classification' || task === 'regression') return task;
  throw new SightlineError('unsupported', `${model.ref} is a ${task} model; replay and eval support binary classification and regression`);
}

/** Where the score and the predicted class are in a model's outputs. */
export interface OutputPlan {
  score: string;
  label: string | null;
}

export function outputPlan(model: LoadedModel): OutputPlan {
  const outputs = model.opened.outputs;
  const names = outputs.map((o) => o.name);
  const wanted = model.card.outputs.probability ?? model.card.outputs.value;
  let score = wanted && names.includes(wanted) ? wanted : undefined;
  if (!score) score = outputs.find((o) => o.type !== 'non-tensor' && o.type !== 'string' && o.type !== 'int64' && o.name !== model.card.outputs.label)?.name;
  if (!score) score = outputs.find((o) => o.type !== 'non-tensor' && o.type !== 'string')?.name;
  if (!score) {
    throw new SightlineError('unsupported', `${model.ref}: no numeric tensor output to score with (outputs: ${outputs.map((o) => `${o.name}:${o.type}`).join(', ')}); export the model without ZipMap, or name the output in the card's outputs.probability`);
  }
  const label = model.card.outputs.label && names.includes(model.card.outputs.label) ? model.card.outputs.label : null;
  return { score, label };
}

/** The outputs a call asks onnxruntime for: the score, and the label when the model has one. */
export function fetchesOf(plan: OutputPlan): string[] {
  return plan.label ? [plan.score, plan.label] : [plan.score];
}

export interface BatchResult {
  /** Primary output per row (NaN where not finite). */
  scores: Float64Array;
  /** Predicted class per row, when the model outputs one. */
  labels: (string | number)[] | null;
  /** Wall clock around session.run. */
  ms: number;
}

/**
 * One inference call over `rows` rows given per-feature value columns in the model's layout
 * order. Binary scores: an [N] or [N,1] output is the positive-class probability; an [N,2] output
 * is [P(0), P(1)] and the second column is taken.
 */
export async function runBatch(model: LoadedModel, plan: OutputPlan, values: (number | string)[][], rows: number): Promise<BatchResult> {
  return runFeeds(model, plan, buildFeeds(model.layout, values, rows), rows);
}

/** One inference call on ready input tensors (see `runBatch`). */
export async function runFeeds(model: LoadedModel, plan: OutputPlan, feeds: Record<string, ort.Tensor>, rows: number): Promise<BatchResult> {
  return model.hold(async () => {
    const t0 = performance.now();
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await model.opened.session.run(feeds, fetchesOf(plan));
    } catch (err) {
      throw new SightlineError('inference_failed', `${model.ref} failed to run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    const ms = performance.now() - t0;
    model.batches++;
    model.predictions += rows;
    return { scores: scoreColumn(model, out[plan.score] as ort.Tensor | undefined, rows, plan.score), labels: plan.label ? labelColumn(out[plan.label] as ort.Tensor | undefined, rows) : null, ms };
  });
}

/** A batch of input columns: numbers as Float64Array, strings as string[] (no missing values). */
export type BatchColumn = Float64Array | string[];

/**
 * Input tensors of a model from a batch's columns (by feature name). Tensors are cached in
 * `cache` by input name, type and shape, so two models with the same inputs share them.
 */
export function feedsFromColumns(model: LoadedModel, columns: ReadonlyMap<string, BatchColumn>, rows: number, cache: Map<string, ort.Tensor>): Record<string, ort.Tensor> {
  const layout = model.layout;
  const feeds: Record<string, ort.Tensor> = {};
  if (layout.mode === 'packed') {
    const slot = layout.slots[0]!;
    const key = `packed|${slot.name}|${slot.type}|${layout.features.map((f) => f.name).join(',')}`;
    let t = cache.get(key);
    if (!t) {
      const width = layout.features.length;
      const values: (number | string)[] = new Array(rows * width);
      layout.features.forEach((f, j) => {
        const col = columns.get(f.name)!;
        for (let i = 0; i < rows; i++) values[i * width + j] = col[i]!;
      });
      t = tensorOf(slot.type, values, [rows, width]);
      cache.set(key, t);
    }
    feeds[slot.name] = t;
    return feeds;
  }
  layout.slots.forEach((slot, i) => {
    const f = layout.features[i]!;
    const dims = slot.rank === 1 ? [rows] : [rows, 1];
    const key = `${f.name}|${slot.type}|${dims.length}`;
    let t = cache.get(key);
    if (!t) {
      t = tensorOf(slot.type, columns.get(f.name)!, dims);
      cache.set(key, t);
    }
    feeds[slot.name] = t;
  });
  return feeds;
}

function tensorOf(type: string, col: BatchColumn | (number | string)[], dims: number[]): ort.Tensor {
  switch (type) {
    case 'float32': return new ortTensor('float32', col instanceof Float64Array ? new Float32Array(col) : Float32Array.from(col as number[]), dims);
    case 'float64': return new ortTensor('float64', col instanceof Float64Array ? col : Float64Array.from(col as number[]), dims);
    case 'int32': return new ortTensor('int32', Int32Array.from(col as ArrayLike<number>), dims);
    case 'int64': return new ortTensor('int64', BigInt64Array.from(Array.from(col as ArrayLike<number>, (x) => BigInt(x))), dims);
    case 'bool': return new ortTensor('bool', Uint8Array.from(col as ArrayLike<number>), dims);
    default: return new ortTensor('string', Array.isArray(col) ? (col as string[]) : Array.from(col, String), dims);
  }
}

function scoreColumn(model: LoadedModel, t: ort.Tensor | undefined, rows: number, name: string): Float64Array {
  if (!t || typeof t !== 'object' || !('data' in t)) throw new SightlineError('unsupported', `${model.ref}: output ${name} is not a tensor`);
  const dims = t.dims as readonly number[];
  const per = rows > 0 && dims[0] === rows ? t.size / rows : rows === 0 ? 1 : -1;
  if (per !== 1 && per !== 2) throw new SightlineError('unsupported', `${model.ref}: output ${name} has shape [${dims.join(', ')}] for ${rows} rows; a score needs [N], [N,1] or [N,2]`);
  const data = t.data as ArrayLike<number | bigint>;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = Number(per === 1 ? data[i]! : data[i * 2 + 1]!);
    out[i] = Number.isFinite(v) ? v : NaN;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The predicted class per row from a label output ([N] of int64, int32, float or string), or null. */
export function labelColumn(t: ort.Tensor | undefined, rows: number): (string | number)[] | null {
  if (!t || typeof t !== 'object' || !('data' in t)) return null;
  const dims = t.dims as readonly number[];
  if (rows > 0 && (dims[0] !== rows || t.size !== rows)) return null;
  const data = t.data as ArrayLike<number | bigint | string>;
  const out = new Array<string | number>(rows);
  if (data instanceof BigInt64Array && LITTLE_ENDIAN) {
    // Class ids are small: read each int64 as its two 32-bit halves (little-endian) instead of
    // making a BigInt per row (one heap object each, thousands per batch for the GC).
    const halves = new Int32Array(data.buffer, data.byteOffset, rows * 2);
    for (let i = 0; i < rows; i++) {
      const low = halves[2 * i]!;
      out[i] = halves[2 * i + 1] === low >> 31 ? low : Number(data[i]!);
    }
    return out;
  }
  for (let i = 0; i < rows; i++) {
    const v = data[i]!;
    out[i] = typeof v === 'bigint' ? Number(v) : v;
  }
  return out;
}
