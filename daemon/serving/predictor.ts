import type { ChaosInjector } from '../chaos';
import type { FeatureRecord, LabelsRequest, LogPredictionsRequest, PredictRequest, PredictResponse, PredictionEvent } from '../../protocol';
import { SightlineError } from '../../protocol';
import type { LoadedModel, ModelRegistry, RowOutput } from '../runtime/registry';
import { rawToFeeds, validateRecords, type ConvertedBatch } from '../runtime/tensors';
import type { Hub } from '../server/hub';
import { fillUuidv7, parseUuid, setUuidWords, uuidWordsText, uuidv7 } from '../store/ids';
import { batchIdText, batchValue, constant, newBatch, perRow, type BatchColumn, type PredictionBatch } from '../store/prediction-batch';
import type { LabelRow, PredictionWriter } from '../store/prediction-writer';
import type { TraceStore } from '../store/trace-store';

export interface PredictorOptions {
  /** Acknowledge only after the rows are committed. */
  durable: boolean;
  /** Keep each raw input record as JSON in the log. */
  logRaw: boolean;
  /** Turn logging off entirely (benchmarks measure its cost against this). */
  logging: boolean;
}

/**
 * Serves predictions and records them: validate → infer (micro-batched) → log → publish.
 * Validation happens before inference and logging, so a rejected request changes nothing.
 */
export class Predictor {
  private registered = new Set<string>();
  private background = new Set<Promise<void>>();
  /** `serve --chaos`: faults injected on purpose (daemon/chaos/); null when serving normally. */
  chaos: ChaosInjector | null = null;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly store: TraceStore,
    private readonly writer: PredictionWriter,
    private readonly hub: Hub,
    private readonly options: PredictorOptions,
  ) {}

  /** Records a loaded model in the trace and creates its feature columns. */
  async register(model: LoadedModel): Promise<void> {
    if (this.registered.has(model.id)) return;
    await this.store.upsertModel({ id: model.id, name: model.name, version: model.version, path: model.path, inputs: model.opened.inputs, outputs: model.opened.outputs, card: model.card });
    await this.store.ensureFeatureColumns([
      ...model.layout.features.map((f) => ({ name: f.name, kind: f.kind })),
      ...model.layout.sliceAttributes.filter((a) => !model.layout.features.some((f) => f.name === a)).map((a) => ({ name: a, kind: 'attribute' as const })),
    ]);
    this.registered.add(model.id);
  }

  async predict(req: PredictRequest): Promise<PredictResponse> {
    const t0 = performance.now();
    const model = this.registry.resolve(req.model);
    // Held from the moment it is resolved: an unload landing while this request awaits I/O
    // (registering the model, adding attribute columns, the batcher) waits for it instead of failing it.
    return model.hold(() => this.predictOn(model, req, t0));
  }

  private async predictOn(model: LoadedModel, req: PredictRequest, t0: number): Promise<PredictResponse> {
    const chaos = this.chaos?.begin(model) ?? null; // may drop the request (503 chaos_dropped) before anything is logged
    if (this.options.logging) this.refuseWhileStorageFails();
    await this.register(model);
    const requestId = req.request_id ?? uuidv7().text;
    let results: RowOutput[];
    let batch: ConvertedBatch | null = null;
    if (req.records) {
      batch = validateRecords(req.records, model.layout);
      checkParallel(req.join_keys, batch.rows, 'join_keys');
      checkParallel(req.attributes, batch.rows, 'attributes');
      checkParallel(req.times, batch.rows, 'times');
      checkParallel(req.raw, batch.rows, 'raw');
      const extraAttrs = new Set<string>();
      for (const a of req.attributes ?? []) for (const k of Object.keys(a)) extraAttrs.add(k);
      if (extraAttrs.size > 0) await this.store.ensureFeatureColumns([...extraAttrs].filter((k) => !model.layout.features.some((f) => f.name === k)).map((k) => ({ name: k, kind: 'attribute' as const })));
      await chaos?.beforeInference(batch);
      results = (await model.infer(batch.values, batch.rows)).results;
    } else {
      const { feeds, rows } = rawToFeeds(req.tensors ?? {}, model.opened.inputs.map((i) => i.name));
      await chaos?.beforeInference(null);
      results = await model.inferRaw(feeds, rows);
    }
    chaos?.afterInference(results);
    const latencyMs = performance.now() - t0;
    model.predictions += results.length;
    const shadow = batch ? this.registry.shadowFor(model) : undefined;
    let ids: string[];
    if (this.options.logging) {
      const logged = this.toBatch(model, 'served', requestId, results, batch, req.join_keys, req.attributes, req.raw ?? req.records, latencyMs, req.times);
      chaos?.mark(logged);
      const durable = req.durable ?? this.options.durable;
      const committed = this.writer.enqueue([logged], [], { soon: durable });
      if (shadow && batch) this.inBackground(this.runShadow(model, shadow, batch, requestId, req));
      this.publish(model, logged);
      ids = new Array<string>(logged.rows);
      for (let i = 0; i < logged.rows; i++) ids[i] = batchIdText(logged, i);
      if (durable) await committedOrStorageError(committed, 'predictions were computed but could not be committed to the trace');
      else committed.catch(() => undefined);
    } else {
      const words = new Uint32Array(results.length * 4);
      fillUuidv7(words, 0, results.length);
      ids = new Array<string>(results.length);
      for (let i = 0; i < results.length; i++) ids[i] = uuidWordsText(words, i);
    }
    return {
      model: { id: model.id, name: model.name, version: model.version },
      execution_provider: model.provider,
      request_id: requestId,
      latency_ms: latencyMs,
      predictions: results.map((r, i) => ({ id: ids[i]!, outputs: r.outputs, score: r.score, label: r.label })),
      ...(shadow ? { shadow: { model: shadow.ref, execution_provider: shadow.provider } } : {}),
    };
  }

  /**
   * While commits fail (disk full, file-size limit), new rows are refused with a typed error for
   * a second after each failure instead of being acknowledged and lost (the disk-full fault test
   * found 200s for rows that never reached the file).
   */
  private refuseWhileStorageFails(): void {
    const failure = this.writer.failingWithin(1000);
    if (failure) throw new SightlineError('storage_error', `the trace cannot be written right now (${failure.split('\n')[0]}); nothing was logged. Free disk space or move the trace; reads keep working`);
  }

  /** Work that outlives its request (shadow runs); `drain` waits for it before the writer closes. */
  private inBackground(task: Promise<void>): void {
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /** Waits for background work already started (so a clean stop keeps the shadow rows of answered requests). */
  async drain(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** The candidate runs on the same rows; its outputs are logged (source `shadow`), never returned. */
  private async runShadow(primary: LoadedModel, shadow: LoadedModel, batch: ConvertedBatch, requestId: string, req: PredictRequest): Promise<void> {
    try {
      await this.register(shadow);
      const t0 = performance.now();
      const values = alignValues(batch, primary, shadow);
      const { results } = await shadow.infer(values, batch.rows);
      const logged = this.toBatch(shadow, 'shadow', requestId, results, { ...batch, values }, req.join_keys, req.attributes, req.raw ?? req.records, performance.now() - t0, req.times);
      shadow.predictions += results.length;
      await this.writer.enqueue([logged]);
    } catch {
      /* a failing shadow never affects the primary's callers */
    }
  }

  private toBatch(
    model: LoadedModel,
    source: string,
    requestId: string,
    results: RowOutput[],
    batch: ConvertedBatch | null,
    joinKeys: string[] | undefined,
    attributes: Record<string, FeatureRecord[string]>[] | undefined,
    records: FeatureRecord[] | undefined,
    latencyMs: number,
    times?: string[],
  ): PredictionBatch {
    return servedBatch({
      model: { id: model.id, name: model.name, version: model.version, provider: model.provider },
      featureColumns: model.layout.features.map((f) => this.store.featureColumn(f.name, f.kind)?.column),
      attributeColumn: (name) => this.store.featureColumn(name, 'attribute')?.column,
      source,
      requestId,
      latencyMs,
      results,
      values: batch?.values ?? null,
      recordAttributes: batch?.attributes ?? null,
      attributes: attributes ?? null,
      joinKeys: joinKeys ?? null,
      raw: this.options.logRaw && records ? records : null,
      times: times ?? null,
    });
  }

  private publish(model: LoadedModel, logged: PredictionBatch): void {
    if (this.hub.subscriberCount === 0) return;
    const time = new Date(Number(typeof logged.time === 'bigint' ? logged.time : (logged.time[0] ?? 0n)) / 1000).toISOString();
    const events: PredictionEvent[] = new Array(logged.rows);
    for (let i = 0; i < logged.rows; i++) {
      const label = batchValue(logged, 'label_pred', i);
      events[i] = {
        id: batchIdText(logged, i),
        time,
        model_id: model.id,
        model: model.name,
        version: model.version,
        score: batchValue(logged, 'score', i) as number | null,
        label: label === null ? null : String(label),
        execution_provider: model.provider ?? 'cpu',
        latency_ms: (batchValue(logged, 'latency_ms', i) as number | null) ?? 0,
        source: String(batchValue(logged, 'source', i)),
      };
    }
    this.hub.publish('prediction', events, { modelId: model.id, modelName: model.name });
  }

  /** Logs predictions made elsewhere (no model run): `POST /v1/predictions` and `sightline import`. */
  async logPredictions(req: LogPredictionsRequest): Promise<{ ids: string[]; logged: number }> {
    this.refuseWhileStorageFails();
    const modelId = req.model.id ?? `external:${req.model.name}@${req.model.version}`;
    // Kinds follow the JSON types; a feature seen as both keeps both columns.
    const specs = new Map<string, 'numeric' | 'categorical'>();
    // Everything is checked before the model row and columns are written: a refused request changes nothing.
    req.predictions.forEach((p, i) => {
      if (p.id !== undefined && parseUuid(p.id) === null) throw new SightlineError('bad_value', `predictions[${i}].id must be a UUID`, ['predictions', i, 'id']);
      for (const [k, v] of Object.entries(p.features)) {
        // The stored card lists the features; FeatureSpec names are 1–200 characters.
        if (k.length === 0 || k.length > 200) throw new SightlineError('bad_value', `predictions[${i}] has a feature name of ${k.length} characters; feature names are 1–200 characters`, ['predictions', i, 'features', k.slice(0, 50)]);
        if (v === null) continue;
        if (typeof v === 'number' && !Number.isFinite(v)) throw new SightlineError('bad_value', `predictions[${i}].features.${k} is not finite`, ['predictions', i, 'features', k]);
        const kind = typeof v === 'number' ? 'numeric' : 'categorical';
        const prev = specs.get(k);
        if (prev && prev !== kind) throw new SightlineError('bad_value', `feature "${k}" is numeric in one row and text in another (predictions[${i}]); send one type per feature`, ['predictions', i, 'features', k]);
        specs.set(k, kind);
      }
    });
    const attrNames = new Set<string>();
    for (const p of req.predictions) for (const k of Object.keys(p.attributes ?? {})) attrNames.add(k);
    await this.store.upsertModel({ id: modelId, name: req.model.name, version: req.model.version, path: null, inputs: [], outputs: [], card: { name: req.model.name, version: req.model.version, features: [...specs].map(([name, kind]) => ({ name, kind })) } });
    await this.store.ensureFeatureColumns([...[...specs].map(([name, kind]) => ({ name, kind })), ...[...attrNames].map((name) => ({ name, kind: 'attribute' as const }))]);
    const n = req.predictions.length;
    const ids = new Uint32Array(n * 4);
    fillUuidv7(ids, 0, n);
    const idTexts: string[] = new Array(n);
    const time = new BigInt64Array(n);
    const now = BigInt(Date.now()) * 1000n;
    const requestIds: (string | null)[] = new Array(n);
    const joinKeys: (string | null)[] = new Array(n);
    const latencies: (number | null)[] = new Array(n);
    const scores: (number | null)[] = new Array(n);
    const labels: (string | null)[] = new Array(n);
    const outputs: (string | null)[] = new Array(n);
    const values = new Map<string, (string | number | null)[]>();
    const set = (col: string | undefined, i: number, v: string | number): void => {
      if (!col) return;
      let arr = values.get(col);
      if (!arr) values.set(col, (arr = new Array<string | number | null>(n).fill(null)));
      arr[i] = v;
    };
    req.predictions.forEach((p, i) => {
      const id = p.id ? parseUuid(p.id) : null;
      if (p.id && id === null) throw new SightlineError('bad_value', `predictions[${i}].id must be a UUID`, ['predictions', i, 'id']);
      if (id !== null) setUuidWords(ids, i, id);
      idTexts[i] = p.id ?? uuidWordsText(ids, i);
      time[i] = p.time ? eventTimeMicros(p.time) : now;
      requestIds[i] = p.request_id ?? null;
      joinKeys[i] = p.join_key ?? null;
      latencies[i] = p.latency_ms ?? null;
      scores[i] = p.score ?? null;
      labels[i] = p.label === undefined || p.label === null ? null : String(p.label);
      outputs[i] = p.outputs ? JSON.stringify(p.outputs) : null;
      for (const [k, v] of Object.entries(p.features)) {
        if (v === null) continue;
        set(this.store.featureColumn(k, specs.get(k)!)?.column, i, typeof v === 'boolean' ? String(v) : v);
      }
      for (const [k, v] of Object.entries(p.attributes ?? {})) {
        if (v !== null) set(this.store.featureColumn(k, 'attribute')?.column, i, String(v));
      }
    });
    const columns = new Map<string, BatchColumn>([
      ['model_id', constant(modelId)],
      ['model_name', constant(req.model.name)],
      ['model_version', constant(req.model.version)],
      ['request_id', perRow(requestIds)],
      ['join_key', perRow(joinKeys)],
      ['source', constant(req.source)],
      ['latency_ms', perRow(latencies)],
      ['score', perRow(scores)],
      ['label_pred', perRow(labels)],
      ['outputs', perRow(outputs)],
    ]);
    for (const [col, arr] of values) columns.set(col, perRow(arr));
    const logged: PredictionBatch = { rows: n, ids, time, columns };
    await committedOrStorageError(this.writer.enqueue([logged], [], { soon: true }), 'the predictions could not be committed to the trace');
    return { ids: idTexts, logged: n };
  }

  async logLabels(req: LabelsRequest): Promise<{ logged: number }> {
    this.refuseWhileStorageFails();
    const rows: LabelRow[] = req.labels.map((l, i) => {
      const pid = l.prediction_id !== undefined ? parseUuid(l.prediction_id) : null;
      if (l.prediction_id !== undefined && pid === null) throw new SightlineError('bad_value', `labels[${i}].prediction_id must be a UUID returned by predict`, ['labels', i, 'prediction_id']);
      const numeric = typeof l.value === 'number' ? l.value : typeof l.value === 'boolean' ? (l.value ? 1 : 0) : Number.isFinite(Number(l.value)) && l.value.trim() !== '' ? Number(l.value) : null;
      if (typeof l.value === 'number' && !Number.isFinite(l.value)) throw new SightlineError('bad_value', `labels[${i}].value is not finite`, ['labels', i, 'value']);
      return {
        predictionId: pid,
        joinKey: l.join_key ?? null,
        value: numeric,
        valueText: typeof l.value === 'string' ? l.value : null,
        timeMicros: l.time ? eventTimeMicros(l.time) : BigInt(Date.now()) * 1000n,
        source: req.source,
      };
    });
    await committedOrStorageError(this.writer.enqueue([], rows, { soon: true }), 'the labels could not be committed to the trace');
    this.hub.publish('label', [{ count: rows.length, source: req.source }]);
    return { logged: rows.length };
  }
}

/** A failed commit is a storage problem the client can act on (typed), not an internal error. */
async function committedOrStorageError(committed: Promise<void>, what: string): Promise<void> {
  try {
    await committed;
  } catch (err) {
    throw new SightlineError('storage_error', `${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}. They are retried, and kept in <trace>.unwritten.jsonl if they cannot be written; free disk space or move the trace`);
  }
}

function checkParallel(arr: unknown[] | undefined, rows: number, name: string): void {
  if (arr && arr.length !== rows) throw new SightlineError('bad_shape', `${name} has ${arr.length} entries for ${rows} records; give one per record`, [name]);
}

/** Reorders validated feature columns for another model (a shadow may use its own feature order). */
function alignValues(batch: ConvertedBatch, primary: LoadedModel, target: LoadedModel): (number | string)[][] {
  return target.layout.features.map((f) => {
    const src = primary.layout.features.findIndex((g) => g.name === f.name);
    const col = batch.values[src];
    if (!col) throw new SightlineError('missing_feature', `shadow ${target.ref} needs feature "${f.name}"`);
    return col;
  });
}


/** ISO time to µs; a time without offset is taken as UTC so replays do not depend on the host's zone. */
export function eventTimeMicros(iso: string): bigint {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const ms = Date.parse(hasZone ? iso : `${iso}Z`);
  if (!Number.isFinite(ms)) throw new SightlineError('bad_value', `time ${JSON.stringify(iso)} is not an ISO 8601 timestamp`);
  return BigInt(ms) * 1000n;
}

/** What `servedBatch` needs of a model. */
export interface BatchModel {
  id: string;
  name: string;
  version: string;
  provider: string | null;
}

export interface ServedBatchInput {
  model: BatchModel;
  /** The trace column of each feature, in the model's feature order (undefined: not logged). */
  featureColumns: readonly (string | undefined)[];
  /** The trace column of a slice attribute, if it has one. */
  attributeColumn: (name: string) => string | undefined;
  source: string;
  requestId: string;
  latencyMs: number;
  results: readonly RowOutput[];
  /** Validated feature values, values[feature][row] (null for raw-tensor requests). */
  values: readonly (readonly (number | string)[])[] | null;
  /** Slice attributes found in the records, per row. */
  recordAttributes: readonly Record<string, number | string | null>[] | null;
  /** Attributes sent beside the records, per row (they win over `recordAttributes`). */
  attributes: readonly Record<string, FeatureRecord[string]>[] | null;
  joinKeys: readonly string[] | null;
  /** Raw input records to keep as JSON (only when the daemon logs raw input). */
  raw: readonly FeatureRecord[] | null;
  /** Event times (ISO 8601) per row; else now. */
  times: readonly string[] | null;
}

/**
 * The batch a predict request logs: per-request values once, per-row outputs, and the request's
 * own feature arrays (not copied). Shared by the predictor and the daemon bench, so the bench
 * measures the code that serves.
 */
export function servedBatch(input: ServedBatchInput): PredictionBatch {
  const { results } = input;
  const n = results.length;
  const scores: (number | null)[] = new Array(n);
  const labels: (string | null)[] = new Array(n);
  const outputs: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = results[i]!;
    scores[i] = r.score;
    labels[i] = r.label === null ? null : typeof r.label === 'string' ? r.label : String(r.label);
    outputs[i] = JSON.stringify(r.outputs);
  }
  const columns = new Map<string, BatchColumn>([
    ['model_id', constant(input.model.id)],
    ['model_name', constant(input.model.name)],
    ['model_version', constant(input.model.version)],
    ['request_id', constant(input.requestId)],
    ['source', constant(input.source)],
    ['execution_provider', constant(input.model.provider)],
    ['latency_ms', constant(input.latencyMs)],
    ['score', perRow(scores)],
    ['label_pred', perRow(labels)],
    ['outputs', perRow(outputs)],
  ]);
  if (input.joinKeys) columns.set('join_key', perRow(input.joinKeys));
  if (input.raw) {
    const raw: string[] = new Array(n);
    for (let i = 0; i < n; i++) raw[i] = JSON.stringify(input.raw[i]);
    columns.set('raw', perRow(raw));
  }
  if (input.values) {
    input.featureColumns.forEach((col, f) => {
      if (col) columns.set(col, perRow(input.values![f]!));
    });
    for (const [col, arr] of attributeValues(n, input.recordAttributes, input.attributes, input.attributeColumn)) columns.set(col, perRow(arr));
  }
  let time: bigint | BigInt64Array;
  if (input.times) {
    time = new BigInt64Array(n);
    for (let i = 0; i < n; i++) time[i] = eventTimeMicros(input.times[i]!);
  } else time = BigInt(Date.now()) * 1000n;
  return newBatch(n, time, columns);
}

/** Slice attribute columns (text), from the records' own attributes overridden by the request's. */
function attributeValues(
  n: number,
  fromRecords: readonly Record<string, unknown>[] | null,
  fromRequest: readonly Record<string, unknown>[] | null,
  columnOf: (name: string) => string | undefined,
): Map<string, (string | null)[]> {
  const out = new Map<string, (string | null)[]>();
  const put = (source: Record<string, unknown> | undefined, i: number): void => {
    if (!source) return;
    for (const k in source) {
      const col = columnOf(k);
      if (!col) continue;
      let arr = out.get(col);
      if (!arr) out.set(col, (arr = new Array<string | null>(n).fill(null)));
      const v = source[k];
      arr[i] = v === null || v === undefined ? null : String(v);
    }
  };
  for (let i = 0; i < n; i++) {
    put(fromRecords?.[i], i);
    put(fromRequest?.[i], i);
  }
  return out;
}
