/**
 * `npm run bench` — the daemon's speed and storage figures, each as a ratio against a baseline
 * measured in the same run on the same machine (absolute numbers vary; ratios travel):
 *   1. served throughput and latency with logging vs the same server with logging off, and vs
 *      raw onnxruntime-node in-process on the same batches (target: logging costs ≤ 10 %);
 *   2. the in-process logging path per prediction, amortised (target ≤ 2 µs);
 *   3. bytes on disk per logged numeric feature value (target ≤ 16) vs the same data as JSONL.
 * BENCH_SECTIONS=2 (or 1,3 …) runs only those sections.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { SightlineClient } from '../../clients/typescript/client';
import type { FeatureRecord } from '../../protocol';
import { readDaemonInfo } from '../../daemon/server/state-file';
import type { RowOutput } from '../../daemon/runtime/registry';
import { servedBatch } from '../../daemon/serving/predictor';
import { uuidv7 } from '../../daemon/store/ids';
import { PredictionWriter, type PredictionBatch } from '../../daemon/store/prediction-writer';
import { TraceStore } from '../../daemon/store/trace-store';
import { daemonProcess } from '../../daemon/server/process-options';

const ROOT = process.cwd();
const MODEL = path.join(ROOT, 'samples/flights/models/flights-delay-v1.onnx');
const BASELINE = path.join(ROOT, 'samples/flights/baselines/train-v1.parquet');
const CARD = JSON.parse(readFileSync(MODEL.replace(/\.onnx$/, '.sightline.json'), 'utf8')) as { features: { name: string; kind: string }[] };
const FEATURES = CARD.features.map((f) => f.name);
const NUMERIC = CARD.features.filter((f) => f.kind === 'numeric').map((f) => f.name);
const PER_REQUEST = 8;
const CONCURRENCY = 16;
const SERVED_ROWS = Number(process.env.BENCH_SERVED_ROWS ?? 40_000);

async function loadRecords(n: number): Promise<FeatureRecord[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const rows = (await c.runAndReadAll(`SELECT * FROM read_parquet('${BASELINE}') LIMIT ${n}`)).getRowObjectsJS();
  c.closeSync();
  db.closeSync();
  return rows.map((r) => Object.fromEntries(FEATURES.map((f) => [f, r[f] as number | string])));
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Raw onnxruntime-node, in-process, same batch size, sequential: the ceiling. */
async function rawOrt(records: FeatureRecord[]): Promise<{ rowsPerS: number }> {
  const session = await ort.InferenceSession.create(readFileSync(MODEL));
  const t0 = performance.now();
  for (let i = 0; i < records.length; i += PER_REQUEST) {
    const batch = records.slice(i, i + PER_REQUEST);
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of session.inputMetadata) {
      const col = batch.map((r) => r[input.name]);
      feeds[input.name] = typeof col[0] === 'string' ? new ort.Tensor('string', col as string[], [col.length, 1]) : new ort.Tensor('float32', Float32Array.from(col as number[]), [col.length, 1]);
    }
    await session.run(feeds);
  }
  const s = (performance.now() - t0) / 1000;
  await session.release();
  return { rowsPerS: records.length / s };
}

/** A real daemon process, driven over HTTP with CONCURRENCY requests in flight. */
async function served(records: FeatureRecord[], logging: boolean): Promise<{ rowsPerS: number; p50: number; p99: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-'));
  const home = path.join(dir, 'home');
  const proc = daemonProcess(path.join(ROOT, 'bin/sightline.js'), ['serve', '--trace', path.join(dir, 't.duckdb'), '--model', MODEL, '--port', '0', ...(logging ? [] : ['--no-logging'])], { ...process.env, SIGHTLINE_HOME: home });
  const child = spawn(proc.command, proc.args, { env: proc.env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += d.toString(); if (out.includes('listening on')) resolve(); });
  });
  const client = new SightlineClient(readDaemonInfo(home)!);
  const warm = records.slice(0, 800);
  for (let i = 0; i < warm.length; i += PER_REQUEST) await client.predict({ model: 'flights-delay', records: warm.slice(i, i + PER_REQUEST) });
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const start = next;
      next += PER_REQUEST;
      const t = performance.now();
      await client.predict({ model: 'flights-delay', records: records.slice(start, start + PER_REQUEST) });
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const s = (performance.now() - t0) / 1000;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { rowsPerS: records.length / s, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/** Feature columns of `records`, values[feature][row], as the predictor's validation yields them. */
function featureValues(records: FeatureRecord[], featureNames: string[]): (number | string)[][] {
  return featureNames.map((f) => records.map((r) => r[f] as number | string));
}

/** Model outputs: the same small ones the first version of this bench logged, or float32 probabilities as the flights model returns them. */
function modelOutputs(n: number, realistic: boolean, offset: number): RowOutput[] {
  return Array.from({ length: n }, (_, i) => {
    if (!realistic) return { outputs: { probability: 0.25, label: 0 }, score: 0.25, label: 0 };
    const p = Math.fround(0.05 + (((offset + i) * 7919) % 9001) / 10000);
    const label = p >= 0.5 ? 1 : 0;
    return { outputs: { label, probability: [Math.fround(1 - p), p] }, score: p, label };
  });
}

/** One request's batch, built by the predictor's own code (daemon/serving/predictor.ts `servedBatch`). */
function buildBatch(store: TraceStore, values: (number | string)[][], outputs: RowOutput[], featureNames: string[]): PredictionBatch {
  return servedBatch({
    model: { id: 'da38b4d650eb'.padEnd(64, '0'), name: 'flights-delay', version: 'v1', provider: 'cpu' },
    featureColumns: featureNames.map((f) => store.featureColumn(f, NUMERIC.includes(f) ? 'numeric' : 'categorical')!.column),
    attributeColumn: (name) => store.featureColumn(name, 'attribute')?.column,
    source: 'served',
    requestId: uuidv7().text,
    latencyMs: 1.5,
    results: outputs,
    values,
    recordAttributes: null,
    attributes: null,
    joinKeys: null,
    raw: null,
    times: null,
  });
}

/** Requests of BATCH_ROWS records: their validated feature columns and model outputs (inputs to logging, made before timing). */
const BATCH_ROWS = 256;
function requests(records: FeatureRecord[], featureNames: string[], realistic: boolean): { values: (number | string)[][]; outputs: RowOutput[] }[] {
  const out = [];
  for (let i = 0; i < records.length; i += BATCH_ROWS) {
    const slice = records.slice(i, i + BATCH_ROWS);
    out.push({ values: featureValues(slice, featureNames), outputs: modelOutputs(slice.length, realistic, i) });
  }
  return out;
}

/**
 * µs per prediction to build each request's batch (predictor code), queue it, append it, commit
 * it through the daemon's writer and checkpoint it into the file; `buildUs` is the part spent
 * building batches (JS), the rest is queue + DuckDB appender + commit + checkpoint (the loop queues
 * everything before the first commit runs).
 */
async function loggingPath(records: FeatureRecord[], realistic: boolean): Promise<{ usPerPrediction: number; buildUs: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-'));
  const store = await TraceStore.open(path.join(dir, 'log.duckdb'));
  await store.ensureFeatureColumns(FEATURES.map((f) => ({ name: f, kind: NUMERIC.includes(f) ? 'numeric' : 'categorical' })));
  const writer = new PredictionWriter(store, { flushIntervalMs: 200, maxPendingRows: 50_000 });
  const warm = requests(records.slice(0, 5000), FEATURES, realistic);
  await writer.enqueue(warm.map((r) => buildBatch(store, r.values, r.outputs, FEATURES)));
  const reqs = requests(records, FEATURES, realistic);
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (const r of reqs) pending.push(writer.enqueue([buildBatch(store, r.values, r.outputs, FEATURES)]));
  const t1 = performance.now();
  await writer.flush();
  await Promise.all(pending);
  // The checkpoint that compresses these rows into the file is part of logging them: without it
  // in the timed window, whether DuckDB's own WAL-size checkpoint lands inside or after the loop
  // moved this figure by ~0.6 µs with the table's width.
  await store.checkpoint();
  const us = ((performance.now() - t0) * 1000) / records.length;
  await writer.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { usPerPrediction: us, buildUs: ((t1 - t0) * 1000) / records.length };
}

/** Bytes per numeric feature value: trace with the 5 numeric features minus the same trace without them. */
async function bytesPerValue(records: FeatureRecord[]): Promise<{ traceBytesPerValue: number; jsonlBytesPerValue: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-'));
  const size = async (withFeatures: boolean): Promise<number> => {
    const file = path.join(dir, `${withFeatures}.duckdb`);
    const store = await TraceStore.open(file);
    const names = withFeatures ? NUMERIC : [];
    await store.ensureFeatureColumns(names.map((f) => ({ name: f, kind: 'numeric' as const })));
    const writer = new PredictionWriter(store, { flushIntervalMs: 1000, maxPendingRows: 100_000 });
    for (let i = 0; i < records.length; i += 10_000) {
      const slice = records.slice(i, i + 10_000);
      await writer.enqueue([buildBatch(store, featureValues(slice, names), modelOutputs(slice.length, false, i), names)]);
    }
    await writer.close();
    await store.checkpoint();
    store.close();
    return statSync(file).size;
  };
  const withF = await size(true);
  const without = await size(false);
  const values = records.length * NUMERIC.length;
  const jsonl = records.map((r) => JSON.stringify(Object.fromEntries(NUMERIC.map((f) => [f, r[f]])))).join('\n');
  writeFileSync(path.join(dir, 'x.jsonl'), jsonl);
  const jsonlBytes = statSync(path.join(dir, 'x.jsonl')).size;
  rmSync(dir, { recursive: true, force: true });
  return { traceBytesPerValue: (withF - without) / values, jsonlBytesPerValue: jsonlBytes / values };
}

function row(label: string, value: string, note = ''): void {
  process.stdout.write(`${label.padEnd(44)} ${value.padStart(16)}  ${note}\n`);
}

async function main(): Promise<void> {
  process.stdout.write(`Sightline bench — ${os.cpus().length} cores, node ${process.version}, onnxruntime-node ${ort.env.versions.node}\n\n`);
  const records = await loadRecords(Math.max(SERVED_ROWS, 200_000));
  const servedRecords = records.slice(0, SERVED_ROWS);

  // BENCH_SECTIONS=2 (or 1,3 …) runs only those sections, for quick before/after checks.
  const sections = new Set((process.env.BENCH_SECTIONS ?? '1,2,3').split(',').map((s) => s.trim()));
  if (sections.has('1')) await servedSection(servedRecords);
  if (sections.has('2')) await loggingSection(records);
  if (sections.has('3')) await storageSection(records);
}

async function servedSection(servedRecords: FeatureRecord[]): Promise<void> {
  const raw = await rawOrt(servedRecords);
  const off = await served(servedRecords, false);
  const on = await served(servedRecords, true);
  process.stdout.write(`1. served throughput (${PER_REQUEST} records/request, ${CONCURRENCY} in flight, ${SERVED_ROWS} rows, model v1)\n`);
  row('raw onnxruntime-node in-process (ceiling)', `${Math.round(raw.rowsPerS)} rows/s`);
  row('daemon, logging off', `${Math.round(off.rowsPerS)} rows/s`, `p50 ${off.p50.toFixed(2)} ms  p99 ${off.p99.toFixed(2)} ms`);
  row('daemon, logging on', `${Math.round(on.rowsPerS)} rows/s`, `p50 ${on.p50.toFixed(2)} ms  p99 ${on.p99.toFixed(2)} ms`);
  row('ratio logging on / off', (on.rowsPerS / off.rowsPerS).toFixed(3), 'target ≥ 0.90');
  row('ratio daemon (logging on) / raw in-process', (on.rowsPerS / raw.rowsPerS).toFixed(3), 'HTTP + JSON + validation cost');
}

async function loggingSection(records: FeatureRecord[]): Promise<void> {
  const log = await loggingPath(records, false);
  const real = await loggingPath(records, true);
  process.stdout.write(`\n2. in-process logging path (build batches + queue + DuckDB appender + commit + checkpoint, ${records.length} predictions, ${BATCH_ROWS}/request)\n`);
  row('µs per prediction, amortised', log.usPerPrediction.toFixed(2), `target ≤ 2 µs (building batches ${log.buildUs.toFixed(2)})`);
  row('same, float32 model outputs', real.usPerPrediction.toFixed(2), `outputs JSON of 17-digit numbers (building ${real.buildUs.toFixed(2)})`);
}

async function storageSection(records: FeatureRecord[]): Promise<void> {
  const bytes = await bytesPerValue(records);
  process.stdout.write(`\n3. storage of numeric feature values (${records.length} rows × ${NUMERIC.length} real features)\n`);
  row('trace bytes per value', bytes.traceBytesPerValue.toFixed(2), 'target ≤ 16');
  row('JSONL bytes per value', bytes.jsonlBytesPerValue.toFixed(2));
  row('ratio trace / JSONL', (bytes.traceBytesPerValue / bytes.jsonlBytesPerValue).toFixed(3));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
