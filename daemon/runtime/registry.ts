import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { ExecutionProvider, ModelCard, ModelInfo } from '../../protocol';
import { SightlineError } from '../../protocol';
import { MicroBatcher, type BatcherOptions } from './batcher';
import { deriveLayout, type ModelLayout } from './layout';
import { loadModelCard } from './model-card';
import { readOnnxMetadata } from './onnx-metadata';
import { openSession, type OpenedSession } from './session';
import { buildFeeds, splitOutputs } from './tensors';

export interface RowOutput {
  outputs: Record<string, number | string | number[] | string[]>;
  score: number | null;
  label: string | number | null;
}

export interface RuntimeOptions extends BatcherOptions {
  intraOpThreads?: number;
  interOpThreads?: number;
}

/** A model with an open onnxruntime session. In-flight calls keep it alive through an unload. */
export class LoadedModel {
  readonly loadedAt = new Date().toISOString();
  private inflight = 0;
  private releasing: (() => void) | null = null;
  private released = false;
  readonly batcher: MicroBatcher<RowOutput>;
  predictions = 0;
  /** Inference calls made (one per micro-batch or raw request): fewer than requests means batching merged them. */
  batches = 0;

  constructor(
    readonly id: string,
    readonly path: string,
    readonly card: ModelCard,
    readonly layout: ModelLayout,
    readonly opened: OpenedSession,
    readonly requestedProvider: ExecutionProvider,
    batching: BatcherOptions,
  ) {
    this.batcher = new MicroBatcher<RowOutput>(layout.features.length, (values, rows) => this.runValues(values, rows), batching);
  }

  get name(): string { return this.card.name; }
  get version(): string { return this.card.version; }
  get ref(): string { return `${this.card.name}@${this.card.version}`; }
  get provider(): ExecutionProvider { return this.opened.provider; }

  /** Runs validated feature columns through the micro-batcher. */
  async infer(values: (number | string)[][], rows: number): Promise<{ results: RowOutput[]; inferenceMs: number; batchRows: number }> {
    return this.track(() => this.batcher.submit(values, rows));
  }

  /** Runs raw tensors (no batching). */
  async inferRaw(feeds: Record<string, ort.Tensor>, rows: number): Promise<RowOutput[]> {
    return this.track(async () => this.toRows(await this.run(feeds), rows));
  }

  private async runValues(values: (number | string)[][], rows: number): Promise<RowOutput[]> {
    return this.toRows(await this.run(buildFeeds(this.layout, values, rows)), rows);
  }

  private async run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    this.batches++;
    try {
      return await this.opened.session.run(feeds);
    } catch (err) {
      throw new SightlineError('inference_failed', `${this.ref} failed to run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }

  private toRows(out: ort.InferenceSession.OnnxValueMapType, rows: number): RowOutput[] {
    const perRow = splitOutputs(out, rows);
    const probName = this.card.outputs.probability ?? this.card.outputs.value;
    const labelName = this.card.outputs.label;
    return perRow.map((o) => {
      const p = probName ? o[probName] : firstNumeric(o);
      let score: number | null = null;
      if (typeof p === 'number') score = p;
      else if (Array.isArray(p) && p.length === 2 && typeof p[1] === 'number') score = p[1]; // [P(0), P(1)]
      const l = labelName ? o[labelName] : undefined;
      const label = typeof l === 'number' || typeof l === 'string' ? l : null;
      return { outputs: o, score: score !== null && Number.isFinite(score) ? score : null, label };
    });
  }

  /**
   * Keeps the session open for the whole of `fn`: a request holds the model from the moment it
   * resolved it, so an unload waits for it. (Once unloaded, a model cannot be resolved, so only
   * work that was already accepted can start while a release waits.)
   */
  hold<T>(fn: () => Promise<T>): Promise<T> {
    return this.track(fn);
  }

  private async track<T>(fn: () => Promise<T>): Promise<T> {
    if (this.released) throw new SightlineError('unknown_model', `${this.ref} was unloaded`);
    this.inflight++;
    try {
      return await fn();
    } finally {
      this.inflight--;
      const release = this.releasing as (() => void) | null;
      if (this.inflight === 0 && release) release();
    }
  }

  /** Waits for in-flight calls, then frees the session. */
  async release(): Promise<void> {
    this.batcher.flushNow();
    if (this.inflight > 0) await new Promise<void>((resolve) => { this.releasing = resolve; });
    this.releasing = null;
    this.released = true;
    await this.opened.session.release();
  }
}

function firstNumeric(o: Record<string, unknown>): unknown {
  for (const v of Object.values(o)) if (typeof v === 'number' || Array.isArray(v)) return v;
  return undefined;
}

export interface LoadOptions {
  provider?: ExecutionProvider;
  makeDefault?: boolean;
  shadowOf?: string;
}

/**
 * The models the daemon serves, by content hash. `name` resolves to the default version of that
 * name, `name@version` to a version, and a hash prefix (≥ 8 hex chars) to a file. Loading a new
 * version of a name swaps the default atomically; requests already running finish on the old one.
 */
export class ModelRegistry extends EventEmitter {
  private byId = new Map<string, LoadedModel>();
  private defaults = new Map<string, string>();
  private shadows = new Map<string, string>(); // primary name → shadow model id
  private failed = new Map<string, { path: string; error: string }>();

  constructor(private readonly options: RuntimeOptions, private readonly defaultProvider: ExecutionProvider = 'cpu') {
    super();
  }

  async load(modelPath: string, opts: LoadOptions = {}): Promise<LoadedModel> {
    const abs = path.resolve(modelPath);
    let bytes: Buffer;
    try {
      // A pipe or device path (/dev/zero, a FIFO) would be read forever (found by the
      // robustness corpus: POST /v1/models {path: "/dev/zero"} grew the daemon without bound).
      const st = await stat(abs);
      if (!st.isFile()) throw new SightlineError('model_load_failed', `${abs} is not a regular file (${st.isDirectory() ? 'a directory' : 'a pipe, socket or device'}); give an .onnx file or a folder of them`);
      bytes = await readFile(abs);
    } catch (err) {
      if (err instanceof SightlineError) throw err;
      throw new SightlineError('model_load_failed', `cannot read model file ${abs}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const id = createHash('sha256').update(bytes).digest('hex');
    const existing = this.byId.get(id);
    if (existing) {
      this.afterLoad(existing, opts);
      return existing;
    }
    try {
      const meta = readOnnxMetadata(bytes);
      const provider = opts.provider ?? this.defaultProvider;
      const opened = await openSession(bytes, { provider, intraOpThreads: this.options.intraOpThreads, interOpThreads: this.options.interOpThreads });
      const card = loadModelCard(abs, meta, opened.inputs);
      let layout: ModelLayout;
      try {
        layout = deriveLayout(card, opened.inputs);
      } catch (err) {
        await opened.session.release();
        throw err;
      }
      const model = new LoadedModel(id, abs, card, layout, opened, provider, this.options);
      for (const other of this.byId.values()) {
        if (other.ref === model.ref) {
          await opened.session.release();
          throw new SightlineError('conflict', `${model.ref} is already loaded from ${other.path} with different content (hash ${other.id.slice(0, 12)} vs ${id.slice(0, 12)}); give the new file another version in its model card`);
        }
      }
      this.byId.set(id, model);
      this.failed.delete(abs);
      this.afterLoad(model, opts);
      return model;
    } catch (err) {
      this.failed.set(abs, { path: abs, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  private afterLoad(model: LoadedModel, opts: LoadOptions): void {
    if (opts.shadowOf) {
      this.shadows.set(opts.shadowOf, model.id);
    } else if (opts.makeDefault !== false || !this.defaults.has(model.name)) {
      this.defaults.set(model.name, model.id);
    }
    this.emit('model', { action: 'loaded', model: this.info(model) });
  }

  /** Resolves `name`, `name@version` or a hash prefix. */
  resolve(ref: string): LoadedModel {
    const byHash = /^[0-9a-f]{8,64}$/.test(ref) ? [...this.byId.values()].filter((m) => m.id.startsWith(ref)) : [];
    if (byHash.length === 1) return byHash[0]!;
    const at = ref.lastIndexOf('@');
    if (at > 0) {
      const name = ref.slice(0, at);
      const version = ref.slice(at + 1);
      for (const m of this.byId.values()) if (m.name === name && m.version === version) return m;
    } else {
      const id = this.defaults.get(ref);
      if (id) return this.byId.get(id)!;
    }
    const known = [...this.byId.values()].map((m) => m.ref).join(', ') || 'none loaded';
    throw new SightlineError('unknown_model', `no model "${ref}" is loaded (loaded: ${known}). Load it with \`sightline serve --model FILE\` or POST /v1/models.`, ['model']);
  }

  shadowFor(primary: LoadedModel): LoadedModel | undefined {
    const id = this.shadows.get(primary.name);
    // The shadow itself, called by name@version (or made the default later), has no shadow.
    return id && id !== primary.id ? this.byId.get(id) : undefined;
  }

  async unload(ref: string): Promise<void> {
    const model = this.resolve(ref);
    this.byId.delete(model.id);
    if (this.defaults.get(model.name) === model.id) {
      this.defaults.delete(model.name);
      const next = [...this.byId.values()].filter((m) => m.name === model.name).pop();
      if (next) this.defaults.set(model.name, next.id);
    }
    for (const [k, v] of this.shadows) if (v === model.id) this.shadows.delete(k);
    this.emit('model', { action: 'unloaded', model: { id: model.id, name: model.name, version: model.version } });
    await model.release();
  }

  list(): LoadedModel[] {
    return [...this.byId.values()];
  }

  info(m: LoadedModel): ModelInfo {
    const shadowOf = [...this.shadows.entries()].find(([, id]) => id === m.id)?.[0];
    return {
      id: m.id,
      name: m.name,
      version: m.version,
      path: m.path,
      state: 'loaded',
      requested_provider: m.requestedProvider,
      execution_provider: m.provider,
      ...(m.opened.fallbackReason ? { fallback_reason: m.opened.fallbackReason } : {}),
      inputs: m.opened.inputs,
      outputs: m.opened.outputs,
      card: m.card,
      is_default: this.defaults.get(m.name) === m.id,
      ...(shadowOf ? { shadow_of: shadowOf } : {}),
      loaded_at: m.loadedAt,
      predictions: m.predictions,
      batches: m.batches,
    };
  }

  failures(): { path: string; error: string }[] {
    return [...this.failed.values()];
  }

  async close(): Promise<void> {
    for (const m of this.list()) await m.release();
    this.byId.clear();
  }
}
