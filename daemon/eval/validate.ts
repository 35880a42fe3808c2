/**
 * `sightline validate MODEL.onnx`: is this file fit to ship? Loads it (hash, size, onnxruntime
 * session on the requested provider), reads its model card, checks the input signature against
 * the card (every input a card feature) and the workspace's feature map (every feature defined in
 * the feature code), sends a smoke batch (rows of the workspace baseline, else of the traffic
 * file, else synthetic in-range values), checks the outputs (finite; probabilities in [0, 1];
 * predicted classes valid), measures per-call latency (p50/p99) and the resident-memory growth.
 * Latency and memory fail only against a limit (`maxP99Ms`, `maxMemoryMb`: `--max-p99-ms`,
 * `--max-memory-mb`); without one they are reported as `info`.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SightlineError, ValidationReport, type ExecutionProvider, type ModelCard, type ValidationCheck } from '../../protocol';
import { buildFeatureMap } from '../featuremap';
import { fileRelation } from '../io/tabular';
import { deriveLayout, type ModelLayout } from '../runtime/layout';
import { loadModelCard, sidecarPath } from '../runtime/model-card';
import { readOnnxMetadata } from '../runtime/onnx-metadata';
import { LoadedModel } from '../runtime/registry';
import { onnxruntimeVersion, openSession, type OpenedSession } from '../runtime/session';
import { ident } from '../store/sql';
import { outputPlan, runBatch, type OutputPlan } from '../replay/models';
import { findWorkspaceRoot, openWorkspace, workspacePath } from '../replay/workspace';

export interface ValidateOptions {
  workspace?: string;
  provider?: ExecutionProvider;
  threads?: number;
  /** Smoke rows. */
  rows?: number;
  /** Single-row calls timed. */
  latencyCalls?: number;
  /** Fail when the p99 of single-row calls exceeds this (ms). */
  maxP99Ms?: number;
  /** Fail when resident memory grows by more than this (MiB) while loading and running the model. */
  maxMemoryMb?: number;
}

export async function validateModel(file: string, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const abs = path.resolve(file);
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new SightlineError('bad_file', `model file not found: ${abs}`);
  const checks: ValidationCheck[] = [];
  const add = (check: string, status: ValidationCheck['status'], message: string): void => { checks.push({ check, status, message }); };
  const rssBefore = process.memoryUsage().rss;
  const bytes = readFileSync(abs);
  const id = createHash('sha256').update(bytes).digest('hex');
  const report: ValidationReport = {
    model: { path: abs, id, name: null, version: null, bytes: bytes.length, execution_provider: null, onnxruntime: onnxruntimeVersion },
    inputs: [], outputs: [], smoke: null, latency: null,
    memory: { rss_before_bytes: rssBefore, rss_after_bytes: rssBefore, rss_delta_bytes: 0 },
    checks, ok: false,
    limits: { max_p99_ms: opts.maxP99Ms ?? null, max_memory_mb: opts.maxMemoryMb ?? null },
  };
  const finish = (): ValidationReport => {
    const after = process.memoryUsage().rss;
    report.memory = { rss_before_bytes: rssBefore, rss_after_bytes: after, rss_delta_bytes: after - rssBefore };
    const mib = report.memory.rss_delta_bytes / (1 << 20);
    const grew = `resident memory grew by ${mib.toFixed(1)} MiB while loading and running the model`;
    if (opts.maxMemoryMb === undefined) add('memory', 'info', `${grew} (no limit: --max-memory-mb)`);
    else add('memory', mib > opts.maxMemoryMb ? 'fail' : 'pass', `${grew}; limit ${opts.maxMemoryMb} MiB`);
    report.ok = checks.every((c) => c.status !== 'fail');
    return ValidationReport.parse(report);
  };

  // 1. Load.
  let opened: OpenedSession;
  let meta: ReturnType<typeof readOnnxMetadata>;
  try {
    meta = readOnnxMetadata(bytes);
    opened = await openSession(bytes, { provider: opts.provider ?? 'cpu', ...(opts.threads ? { intraOpThreads: opts.threads } : {}) });
  } catch (err) {
    add('load', 'fail', `onnxruntime ${onnxruntimeVersion} cannot load ${path.basename(abs)}: ${err instanceof Error ? err.message : String(err)}`);
    return finish();
  }
  report.model.execution_provider = opened.provider;
  report.inputs = opened.inputs;
  report.outputs = opened.outputs;
  add('load', opened.fallbackReason ? 'warn' : 'pass', `loaded ${(bytes.length / 1024).toFixed(1)} KiB (sha256 ${id.slice(0, 12)}) on ${opened.provider}${opened.fallbackReason ? `: ${opened.fallbackReason}` : ''}`);

  try {
    // 2. Card.
    let card: ModelCard;
    try {
      card = loadModelCard(abs, meta, opened.inputs);
    } catch (err) {
      add('card', 'fail', err instanceof Error ? err.message : String(err));
      return finish();
    }
    report.model.name = card.name;
    report.model.version = card.version;
    const cardSource = existsSync(sidecarPath(abs)) ? `sidecar ${path.basename(sidecarPath(abs))}` : meta.props['sightline.card'] ? 'ONNX metadata "sightline.card"' : 'none (derived from the file name and the inputs)';
    const missing = [card.label ? null : 'label', card.threshold === undefined && card.task === 'binary_classification' ? 'threshold' : null, card.slice_attributes.length ? null : 'slice_attributes'].filter(Boolean);
    add('card', missing.length ? 'warn' : 'pass', `${card.name}@${card.version} (${card.task}), card from ${cardSource}${missing.length ? `; the card has no ${missing.join(', ')}` : ''}`);

    // 3. Signature against the card.
    let layout: ModelLayout;
    try {
      layout = deriveLayout(card, opened.inputs);
    } catch (err) {
      add('signature', 'fail', err instanceof Error ? err.message : String(err));
      return finish();
    }
    const undeclared = card.features.length === 0 ? opened.inputs.map((i) => i.name) : [];
    add('signature', undeclared.length ? 'warn' : 'pass', layout.mode === 'packed'
      ? `one packed input ${layout.slots[0]!.name} of ${layout.features.length} card features`
      : `${layout.slots.length} inputs, each a card feature (${layout.features.map((f) => `${f.name}:${f.kind}`).join(', ')})${undeclared.length ? '; the card declares no features, so they were taken from the inputs' : ''}`);
    let plan: OutputPlan;
    const model = new LoadedModel(id, abs, card, layout, opened, opts.provider ?? 'cpu', { maxBatchRows: 1 << 20, maxWaitMs: 0 });
    try {
      plan = outputPlan(model);
      add('outputs', 'pass', `score from output "${plan.score}"${plan.label ? `, predicted class from "${plan.label}"` : ''}`);
    } catch (err) {
      add('outputs', 'fail', err instanceof Error ? err.message : String(err));
      return finish();
    }

    // 4. Feature map.
    const root = opts.workspace ? path.resolve(opts.workspace) : findWorkspaceRoot(abs);
    const ws = openWorkspace(root);
    if (!ws) add('feature_map', 'warn', 'no sightline.json at or above the model: the feature map was not checked (pass --workspace DIR)');
    else {
      const fm = buildFeatureMap(ws.root, { features: layout.features.map((f) => ({ name: f.name, kind: f.kind })) });
      const unmapped = fm.features.filter((f) => !f.training && !f.serving).map((f) => f.name);
      const oneSided = fm.features.filter((f) => (f.training ? 1 : 0) + (f.serving ? 1 : 0) === 1).map((f) => `${f.name} (${f.training ? 'training' : 'serving'} only)`);
      const ambiguous = fm.features.filter((f) => f.status === 'ambiguous').map((f) => f.name);
      if (unmapped.length) add('feature_map', 'fail', `input(s) ${unmapped.join(', ')} are defined nowhere in the feature code of ${ws.root} (every model input must be a mapped feature; map it in sightline.json "features")`);
      else add('feature_map', oneSided.length || ambiguous.length ? 'warn' : 'pass', `every input is a mapped feature${oneSided.length ? `; one side only: ${oneSided.join(', ')}` : ''}${ambiguous.length ? `; ambiguous: ${ambiguous.join(', ')}` : ''}`);
    }

    // 5. Smoke request.
    const rows = Math.max(1, opts.rows ?? 64);
    const smoke = await smokeRows(layout, rows, ws ? [workspacePath(ws, ws.config.baseline?.path), workspacePath(ws, ws.config.traffic)] : []);
    const values = layout.features.map((f) => smoke.columns.get(f.name)!);
    let result: Awaited<ReturnType<typeof runBatch>>;
    try {
      result = await runBatch(model, plan, values, smoke.rows);
    } catch (err) {
      add('smoke', 'fail', `the model failed on ${smoke.rows} ${smoke.source} rows: ${err instanceof Error ? err.message : String(err)}`);
      return finish();
    }
    const scores = [...result.scores];
    const finite = scores.filter((s) => Number.isFinite(s));
    report.smoke = {
      source: smoke.source, rows: smoke.rows,
      score_min: finite.length ? Math.min(...finite) : null,
      score_mean: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : null,
      score_max: finite.length ? Math.max(...finite) : null,
    };
    add('smoke', finite.length === scores.length ? 'pass' : 'fail', finite.length === scores.length ? `${smoke.rows} ${smoke.source} rows scored` : `${scores.length - finite.length} of ${scores.length} outputs are NaN or infinite`);
    if (card.task === 'binary_classification') {
      const out = finite.filter((s) => s < 0 || s > 1);
      if (finite.length === 0) add('range', 'fail', 'no finite probability to check');
      else add('range', out.length ? 'fail' : 'pass', out.length ? `${out.length} probabilities outside [0, 1] (e.g. ${out[0]})` : `probabilities in [0, 1] (${report.smoke.score_min?.toFixed(4)} … ${report.smoke.score_max?.toFixed(4)})`);
      if (result.labels) {
        const positive = card.label?.positive ?? 1;
        const valid = new Set([0, 1, '0', '1', positive, String(positive)]);
        const bad = result.labels.filter((l) => !valid.has(l));
        const threshold = card.threshold ?? 0.5;
        const inconsistent = result.labels.filter((l, i) => (String(l) === String(positive)) !== ((result.scores[i] ?? 0) >= threshold)).length;
        if (bad.length) add('classes', 'fail', `predicted classes outside {0, 1}: ${[...new Set(bad)].slice(0, 5).join(', ')}`);
        else add('classes', inconsistent ? 'warn' : 'pass', `predicted classes valid${inconsistent ? `; ${inconsistent} disagree with score ≥ ${threshold} (the card's threshold differs from the model's own)` : ''}`);
      }
    } else {
      add('range', 'pass', `values ${report.smoke.score_min} … ${report.smoke.score_max}`);
    }

    // 6. Latency of single-row calls.
    const calls = Math.max(10, opts.latencyCalls ?? 200);
    const one = values.map((col) => col.slice(0, 1));
    for (let i = 0; i < 5; i++) await runBatch(model, plan, one, 1);
    const times: number[] = [];
    for (let i = 0; i < calls; i++) times.push((await runBatch(model, plan, values.map((col) => [col[i % smoke.rows]!]), 1)).ms);
    times.sort((a, b) => a - b);
    const q = (p: number): number => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
    report.latency = { calls, batch_size: 1, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: times[times.length - 1]! };
    const figures = `single-row calls: p50 ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms (${calls} calls on ${opened.provider})`;
    if (opts.maxP99Ms === undefined) add('latency', 'info', `${figures} (no limit: --max-p99-ms)`);
    else add('latency', q(0.99) > opts.maxP99Ms ? 'fail' : 'pass', `${figures}; limit p99 ≤ ${opts.maxP99Ms} ms`);
    return finish();
  } finally {
    await opened.session.release().catch(() => undefined);
  }
}

interface SmokeRows {
  source: string;
  rows: number;
  columns: Map<string, (number | string)[]>;
}

/** Smoke rows: the first file that has every feature as a column, else synthetic in-range values. */
async function smokeRows(layout: ModelLayout, rows: number, files: (string | null)[]): Promise<SmokeRows> {
  const types = layout.features.map((f, i) => (layout.mode === 'packed' ? layout.slots[0]! : layout.slots[i]!).type);
  for (const file of files) {
    if (!file || !existsSync(file)) continue;
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const rel = fileRelation(file);
      const cols = new Set((await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${rel}`)).getRowObjectsJS().map((r) => String(r.column_name)));
      if (!layout.features.every((f) => cols.has(f.name))) continue;
      const select = layout.features.map((f, i) => (types[i] === 'string' ? `CAST(${ident(f.name)} AS VARCHAR)` : `TRY_CAST(${ident(f.name)} AS DOUBLE)`) + ` AS ${ident(f.name)}`);
      const where = layout.features.map((f) => `${ident(f.name)} IS NOT NULL`).join(' AND ');
      const reader = await conn.runAndReadAll(`SELECT ${select.join(', ')} FROM ${rel} WHERE ${where} LIMIT ${rows}`);
      const data = reader.getColumnsJS() as (number | string)[][];
      if (reader.currentRowCount === 0) continue;
      return { source: path.basename(file), rows: reader.currentRowCount, columns: new Map(layout.features.map((f, i) => [f.name, data[i]!])) };
    } catch {
      continue;
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  }
  // Synthetic: numbers spread over [0, 1] (integers 0…rows−1 for integer inputs), categories "A", "B", ….
  const columns = new Map<string, (number | string)[]>();
  layout.features.forEach((f, i) => {
    const t = types[i];
    columns.set(f.name, Array.from({ length: rows }, (_, r) => (t === 'string' ? String.fromCharCode(65 + (r % 26)) : t === 'int32' || t === 'int64' ? r : t === 'bool' ? r % 2 : rows > 1 ? r / (rows - 1) : 0.5)));
  });
  return { source: 'synthetic', rows, columns };
}
