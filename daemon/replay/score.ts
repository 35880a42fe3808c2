/**
 * Scoring: every usable row of `sl_input` through each model of the run, batched at full speed,
 * and the per-call latency of each model under a given concurrency.
 *
 * Bulk pass: DuckDB streams the feature columns chunk by chunk; chunks are gathered into batches
 * of `batchSize` rows; every model runs each batch, one after the other (onnxruntime-node runs a
 * session on the JavaScript thread, with its intra-op pool) while DuckDB's threads stream the next
 * batch, `inFlight` batches deep.
 * Scores land in typed arrays and then in the temporary table `sl_scores` (one column pair per
 * model) through DuckDB's appender — JavaScript touches each value once.
 *
 * Latency: the first `latencyRows` rows again, `latencyBatch` rows per call, `concurrency` calls
 * in flight, each call timed around `session.run`, after a short warm-up; each model on its own
 * so that they do not compete.
 */
import { DuckDBDataChunk, DOUBLE, VARCHAR, BIGINT, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { LatencyStats } from '../../protocol';
import type { LoadedModel } from '../runtime/registry';
import { INPUT_TABLE, type InputColumn } from './input';
import { feedsFromColumns, fetchesOf, runBatch, runFeeds, type BatchColumn, type OutputPlan } from './models';
import type * as ort from 'onnxruntime-node';
import { ident } from '../store/sql';

export const SCORES_TABLE = 'sl_scores';

export interface ScoredModel {
  model: LoadedModel;
  plan: OutputPlan;
  /** Column prefix in sl_scores: `b` (baseline) or `c` (candidate). */
  prefix: 'b' | 'c';
}

export interface BulkResult {
  rows: number;
  seconds: number;
  batchSize: number;
  inFlight: number;
}

export type ProgressFn = (done: number, total: number) => void;

const CHUNK_ROWS = 2048;

export async function scoreAll(
  conn: DuckDBConnection,
  models: ScoredModel[],
  features: InputColumn[],
  opts: { batchSize: number; inFlight?: number; total: number; onProgress?: ProgressFn; dictionaries?: Dictionaries; signal?: AbortSignal },
): Promise<BulkResult> {
  const inFlight = Math.max(1, Number(process.env.SIGHTLINE_REPLAY_IN_FLIGHT ?? opts.inFlight ?? 2));
  const total = opts.total;
  const batchSize = Math.max(1, opts.batchSize);
  const rowIds = new Float64Array(total);
  const scores = models.map(() => new Float64Array(total));
  const labels: ((string | number)[] | null)[] = models.map((m) => (m.plan.label ? new Array<string | number>(total) : null));

  const t0 = performance.now();
  // The rows as the models want them (see `dictionaries`): a plain scan, no join, no sort;
  // order does not matter, every score is stored with its __row.
  const dicts = opts.dictionaries ?? features.map(() => null);
  const result = opts.dictionaries
    ? await conn.stream(`SELECT * FROM ${FEED_TABLE}`)
    : await conn.stream(`SELECT __row::DOUBLE AS __row, ${features.map((f) => ident(f.name)).join(', ')} FROM ${INPUT_TABLE} WHERE __ok`);
  let filled = 0;
  let done = 0;
  const pending = new Set<Promise<void>>();
  let failure: unknown = null;

  // Full batches' buffers go back here once scored and are filled again: the bulk pass then
  // allocates (and the GC collects) almost nothing per batch.
  const spare: Map<string, BatchColumn>[] = [];
  const newBatch = (): Map<string, BatchColumn> => spare.pop() ?? new Map(features.map((f) => [f.name, f.sqlType === 'DOUBLE' ? new Float64Array(batchSize) : new Array<string>(batchSize)]));
  let batch = newBatch();
  let batchStart = 0;
  let inBatch = 0;

  const launch = (cols: Map<string, BatchColumn>, start: number, n: number): void => {
    const view = n === batchSize ? cols : new Map([...cols].map(([k, v]) => [k, v instanceof Float64Array ? v.subarray(0, n) : v.slice(0, n)] as const));
    const task = (async () => {
      const cache = new Map<string, ort.Tensor>();
      // onnxruntime-node runs each call on the JavaScript thread: the models go one after the
      // other, while DuckDB (its own threads) streams the next batch.
      const outs = [];
      for (const m of models) outs.push(await runFeeds(m.model, m.plan, feedsFromColumns(m.model, view, n, cache), n));
      outs.forEach((o, k) => {
        scores[k]!.set(o.scores, start);
        const l = labels[k];
        if (l && o.labels) for (let i = 0; i < n; i++) l[start + i] = o.labels[i]!;
      });
      done += n;
      if (n === batchSize) spare.push(cols);
      opts.onProgress?.(done, total);
    })().catch((err: unknown) => { failure ??= err; });
    pending.add(task);
    void task.finally(() => pending.delete(task));
  };

  // The next chunk is asked for before this one is copied and scored: DuckDB produces it on its
  // own threads while onnxruntime runs on this one (without this, fetching and scoring alternated).
  // (Marked handled at once: should a fetch fail while a batch is scored, the error surfaces at
  // its `await` below, not as an unhandled rejection.)
  const prefetch = (): Promise<DuckDBDataChunk | null> => {
    const p = result.fetchChunk();
    p.catch(() => undefined);
    return p;
  };
  let next: Promise<DuckDBDataChunk | null> | null = prefetch();
  for (;;) {
    if (failure || opts.signal?.aborted) break;
    const chunk = await next!;
    next = null;
    if (!chunk || chunk.rowCount === 0) break;
    next = prefetch();
    const n = chunk.rowCount;
    const ids = doubles(chunk, 0);
    // Text read through a dictionary stays codes here and is decoded straight into the batch.
    const cols = features.map((f, i) => (f.sqlType === 'DOUBLE' ? doubles(chunk, i + 1) : dicts[i] ? codes(chunk, i + 1) : (chunk.getColumnValues(i + 1) as string[])));
    let off = 0;
    while (off < n) {
      const take = Math.min(n - off, batchSize - inBatch);
      rowIds.set(ids.subarray(off, off + take), filled);
      features.forEach((f, i) => {
        const dst = batch.get(f.name)!;
        const src = cols[i]!;
        if (dst instanceof Float64Array) dst.set((src as Float64Array).subarray(off, off + take), inBatch);
        else if (src instanceof Int32Array) {
          const dict = dicts[i]!;
          for (let j = 0; j < take; j++) dst[inBatch + j] = dict[src[off + j]!]!;
        } else for (let j = 0; j < take; j++) dst[inBatch + j] = (src as string[])[off + j]!;
      });
      off += take;
      inBatch += take;
      filled += take;
      if (inBatch === batchSize) {
        launch(batch, batchStart, inBatch);
        batch = newBatch();
        batchStart = filled;
        inBatch = 0;
        while (pending.size >= inFlight) await Promise.race(pending);
        if (opts.signal?.aborted) break;
      }
    }
  }
  // A chunk asked for but not used (a failure or an abort stopped the loop): settle it.
  if (next) await next.catch(() => null);
  // Aborted: no further batch starts; those in flight finish (a session call cannot be cut short).
  const aborted = Boolean(opts.signal?.aborted);
  if (!failure && !aborted && inBatch > 0) launch(batch, batchStart, inBatch);
  await Promise.all(pending);
  if (failure) throw failure;
  if (aborted) throw new Error('scoring aborted');
  const seconds = (performance.now() - t0) / 1000;

  await writeScores(conn, models, rowIds.subarray(0, filled), scores.map((s) => s.subarray(0, filled)), labels);
  return { rows: filled, seconds, batchSize, inFlight };
}

/** The largest warm-up call: bigger batches grow the arena further in their first real calls. */
export const WARM_UP_MAX_ROWS = 16_384;

/**
 * Two calls of each model on a batch of placeholder rows (0 for numbers, '' for text), made while
 * the traffic is read (run.ts starts this before reading and awaits it before the bulk pass; the
 * session works on this thread while DuckDB reads on its own). A fresh onnxruntime session's first
 * calls at a new size are slow (13–17 ms against ~2 ms at 4 096 rows): onnxruntime grows its
 * memory arena for them, on memory the process touches for the first time. Warming at the run's
 * batch size (up to WARM_UP_MAX_ROWS) does that before the bulk pass; 64- or 512-row calls did
 * not. Replay bench, 2 cores, alternating runs (20:26–20:30 UTC): scoring 0.83×, 0.75×, 0.87× raw
 * with the arena and batch-size calls, 0.53×, 0.71×, 0.73× with neither (the arena off and 64-row
 * calls), 0.69×, 0.66×, 0.62× with the arena and 512-row calls.
 * A model that refuses the placeholders (a category it must know) is left cold; it never fails
 * the run: real errors surface in the bulk pass. Straight to the session: the calls are not
 * predictions and are not counted as any.
 */
export async function warmUp(models: ScoredModel[], rows: number): Promise<void> {
  // Each model's placeholder tensors, built once for both calls (null: the model refused them).
  const feeds = models.map((m) => {
    const { layout } = m.model;
    const text = (i: number): boolean => (layout.mode === 'packed' ? layout.slots[0]?.type : layout.slots[i]?.type) === 'string';
    const columns = new Map<string, BatchColumn>(layout.features.map((f, i) => [f.name, text(i) ? new Array<string>(rows).fill('') : new Float64Array(rows)]));
    try {
      return feedsFromColumns(m.model, columns, rows, new Map());
    } catch {
      return null;
    }
  });
  for (let call = 0; call < 2; call++) {
    for (const [k, m] of models.entries()) {
      const f = feeds[k];
      if (!f) continue;
      try {
        await m.model.hold(() => m.model.opened.session.run(f, fetchesOf(m.plan)));
      } catch {
        /* left cold (see above) */
      }
    }
  }
}

const MAX_DICTIONARY = 100_000;

/** Per input column: its dictionary (code → value) when it is text read through codes, else null. */
export type Dictionaries = (string[] | null)[];

export const FEED_TABLE = 'sl_feed';

/**
 * The usable rows as the bulk pass reads them, prepared with the rows (part of reading them):
 * temp table `sl_feed(__row DOUBLE, <one column per input>)` where numbers are DOUBLE and text is
 * an INTEGER code into a per-column dictionary (returned; code → value). Categories repeat, and
 * decoding one JavaScript string per value from DuckDB costs more than running a small model on
 * it; a column with more than 100 000 distinct values stays text.
 */
export async function dictionaries(conn: DuckDBConnection, features: InputColumn[]): Promise<Dictionaries> {
  const text = features.map((f, i) => [f, i] as const).filter(([f]) => f.sqlType === 'VARCHAR');
  const out: Dictionaries = features.map(() => null);
  if (text.length > 0) {
    const lists = await conn.runAndReadAll(`SELECT ${text.map(([f, i]) => `CASE WHEN count(DISTINCT ${ident(f.name)}) <= ${MAX_DICTIONARY} THEN list(DISTINCT ${ident(f.name)} ORDER BY ${ident(f.name)}) END AS d${i}`).join(', ')} FROM ${INPUT_TABLE} WHERE __ok`);
    const row = lists.getRowObjectsJS()[0] ?? {};
    for (const [, i] of text) {
      const values = row[`d${i}`];
      if (Array.isArray(values)) out[i] = values.map((v) => String(v));
    }
  }
  const dictCtes = features.flatMap((f, i) => (out[i] ? [`dict_${i} AS (SELECT unnest(d) AS v, (generate_subscripts(d, 1) - 1)::INTEGER AS code FROM (SELECT list(DISTINCT ${ident(f.name)} ORDER BY ${ident(f.name)}) AS d FROM ${INPUT_TABLE} WHERE __ok) AS l)`] : []));
  const select = features.map((f, i) => (out[i] ? `dict_${i}.code AS c${i}` : `i.${ident(f.name)} AS c${i}`));
  const joins = features.map((f, i) => (out[i] ? `JOIN dict_${i} ON dict_${i}.v = i.${ident(f.name)}` : '')).join(' ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${FEED_TABLE} AS ${dictCtes.length ? `WITH ${dictCtes.join(', ')} ` : ''}SELECT i.__row::DOUBLE AS __row, ${select.join(', ')} FROM ${INPUT_TABLE} AS i ${joins} WHERE i.__ok`);
  return out;
}

export async function dropDictionaries(conn: DuckDBConnection): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${FEED_TABLE}`);
}

/** An INTEGER code column of a chunk (the vector's own buffer when the client exposes it). */
function codes(chunk: DuckDBDataChunk, column: number): Int32Array {
  const vector = chunk.getColumnVector(column) as unknown as { items?: unknown };
  if (vector.items instanceof Int32Array && vector.items.length === chunk.rowCount) return vector.items;
  return Int32Array.from(chunk.getColumnValues(column) as number[]);
}

/** A DOUBLE column of a chunk as a Float64Array (the vector's own buffer when the client exposes it). */
function doubles(chunk: DuckDBDataChunk, column: number): Float64Array {
  const vector = chunk.getColumnVector(column) as unknown as { items?: unknown };
  if (vector.items instanceof Float64Array && vector.items.length === chunk.rowCount) return vector.items;
  return Float64Array.from(chunk.getColumnValues(column) as number[]);
}

/** `sl_scores(__row, <p>_score DOUBLE, <p>_label VARCHAR, …)` through the appender. */
async function writeScores(conn: DuckDBConnection, models: ScoredModel[], rowIds: Float64Array, scores: Float64Array[], labels: ((string | number)[] | null)[]): Promise<void> {
  const cols = ['__row BIGINT', ...models.flatMap((m) => [`${m.prefix}_score DOUBLE`, `${m.prefix}_label VARCHAR`])];
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${SCORES_TABLE} (${cols.join(', ')})`);
  const appender = await conn.createAppender(SCORES_TABLE, 'main', 'temp');
  try {
    const types = [BIGINT, ...models.flatMap(() => [DOUBLE, VARCHAR])];
    const n = rowIds.length;
    for (let off = 0; off < n; off += CHUNK_ROWS) {
      const m = Math.min(CHUNK_ROWS, n - off);
      const chunk = DuckDBDataChunk.create(types, m);
      const ids: DuckDBValue[] = new Array(m);
      for (let i = 0; i < m; i++) ids[i] = BigInt(rowIds[off + i]!);
      chunk.setColumnValues(0, ids);
      models.forEach((_, k) => {
        const s: DuckDBValue[] = new Array(m);
        const src = scores[k]!;
        for (let i = 0; i < m; i++) {
          const v = src[off + i]!;
          s[i] = Number.isFinite(v) ? v : null;
        }
        chunk.setColumnValues(1 + 2 * k, s);
        const l = labels[k];
        const lv: DuckDBValue[] = new Array(m);
        for (let i = 0; i < m; i++) {
          const v = l ? l[off + i] : undefined;
          lv[i] = v === undefined || v === null ? null : String(v);
        }
        chunk.setColumnValues(2 + 2 * k, lv);
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** Per-call latency of one model (see the module comment). */
export async function measureLatency(
  conn: DuckDBConnection,
  m: ScoredModel,
  features: InputColumn[],
  opts: { rows: number; batch: number; concurrency: number; role: 'baseline' | 'candidate'; intraOpThreads: number | null; interOpThreads: number | null; signal?: AbortSignal },
): Promise<LatencyStats | null> {
  if (opts.rows <= 0) return null;
  const wanted = m.model.layout.features;
  const reader = await conn.runAndReadAll(`SELECT ${wanted.map((f) => ident(f.name)).join(', ')} FROM ${INPUT_TABLE} WHERE __ok ORDER BY __row LIMIT ${Math.floor(opts.rows)}`);
  const columns = reader.getColumnsJS() as (number | string)[][];
  const available = reader.currentRowCount;
  if (available === 0) return null;
  const batch = Math.max(1, Math.min(opts.batch, available));
  const calls = Math.max(1, Math.floor(available / batch));
  const slice = (c: number): (number | string)[][] => columns.map((col) => col.slice(c * batch, c * batch + batch));
  const warm = Math.min(5, calls);
  for (let c = 0; c < warm; c++) await runBatch(m.model, m.plan, slice(c), batch);
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const c = next++;
      if (c >= calls || opts.signal?.aborted) return;
      const r = await runBatch(m.model, m.plan, slice(c), batch);
      times.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, calls) }, () => worker()));
  if (opts.signal?.aborted || times.length === 0) return null;
  const wall = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.max(0, Math.ceil(p * times.length) - 1))]!;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return {
    model: m.model.ref,
    role: opts.role,
    calls: times.length,
    rows: times.length * batch,
    p50_ms: q(0.5),
    p95_ms: q(0.95),
    p99_ms: q(0.99),
    mean_ms: mean,
    max_ms: times[times.length - 1]!,
    rows_per_s: wall > 0 ? (times.length * batch) / wall : 0,
    concurrency: opts.concurrency,
    batch_size: batch,
    intra_op_threads: opts.intraOpThreads,
    inter_op_threads: opts.interOpThreads,
    execution_provider: m.model.provider,
  };
}
