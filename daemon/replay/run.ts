/**
 * One replay or evaluation, start to end, on an engine (the daemon, or an in-process engine of
 * the CLI in CI): resolve the models, the traffic and the workspace; store the run as `running`;
 * read the rows (sl_input), score them with every model (sl_scores), measure latency, log the
 * replayed predictions, analyse in DuckDB, evaluate the gates, and complete the run row.
 * Progress goes to the caller's hook and to the engine's hub (`run_progress` events).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ReplayReport, SightlineError,
  type EvalRequest, type EvaluationTask, type LatencyStats, type ReplayModel, type ReplayRequest, type RunProgress, type SliceComparison, type SliceRegression,
} from '../../protocol';
import { buildFeatureMap } from '../featuremap';
import type { Engine } from '../engine';
import { checkIdentifiers, evaluateGates, knownIdentifiers, namedValues, parseGates } from '../gates';
import { onnxruntimeVersion } from '../runtime/session';
import type { LoadedModel, ModelRegistry } from '../runtime/registry';
import { readRows } from '../analysis/rows';
import { describeSlice } from '../analysis/slices';
import type { FeatureKind } from '../analysis';
import { uuidv7 } from '../store/ids';
import { literal } from '../store/sql';
import { VERSION } from '../version';
import {
  computeFlips, computeMetrics, computeOutputDifference, createRowsView, predictionDrift, rankSlices, sliceLevels, sliceRegressions,
  type AnalysisContext, type SliceTestResult,
} from './analysis';
import { prepareInput, type PreparedInput } from './input';
import { defaultRunThreads, openRunRegistry, outputPlan, resolveModelPath, taskOf } from './models';
import { labelSanity, referencePositiveRate } from './sanity';
import { dictionaries, dropDictionaries, measureLatency, scoreAll, warmUp, WARM_UP_MAX_ROWS, type Dictionaries, type ScoredModel } from './score';
import { createIds, dropReplayPredictions, finishRun, insertRun, logReplayPredictions } from './store';
import { findWorkspaceRoot, openWorkspace, workspacePath, type RunWorkspace } from './workspace';

export interface RunHooks {
  onProgress?: (p: RunProgress) => void;
  /**
   * Aborts the run: checked between scoring batches, latency calls and phases. An aborted run
   * throws RunCancelledError, is stored with status `cancelled` (no results, its replayed
   * predictions removed) and ends with a `cancelled` progress event.
   */
  signal?: AbortSignal;
}

/** A run stopped because its signal was aborted (client gone, `cancel_run`, SIGINT/SIGTERM). */
export class RunCancelledError extends SightlineError {
  readonly cancelled = true;
  constructor(readonly runId: string, readonly reason: string) {
    super('conflict', `run ${runId} was cancelled (${reason}); it is stored with status cancelled`);
  }
}

/** Why a signal was aborted, in words. */
export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (typeof r === 'string') return r;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return 'cancelled';
}

export type RunSpec = { kind: 'replay'; req: ReplayRequest } | { kind: 'eval'; req: EvalRequest };

const TRAFFIC_CATALOG = 'sl_traffic';

export async function executeRun(engine: Engine, spec: RunSpec, hooks: RunHooks = {}): Promise<ReplayReport> {
  engine.store.assertWritable();
  const kind = spec.kind;
  const req = spec.req;
  const runId = `${kind}-${uuidv7().text}`;
  const started = new Date().toISOString();
  const progress = (phase: RunProgress['phase'], done: number, total: number, message?: string, passed?: boolean): void => {
    const p: RunProgress = { run_id: runId, kind, phase, done, total, ...(message ? { message } : {}), ...(passed !== undefined ? { passed } : {}) };
    hooks.onProgress?.(p);
    engine.hub.publish('run_progress', [p]);
  };
  progress('started', 0, 1);
  const signal = hooks.signal;
  const checkAbort = (): void => {
    if (signal?.aborted) throw new RunCancelledError(runId, abortReason(signal));
  };
  let logged = false;

  const candidateRef = spec.kind === 'replay' ? spec.req.candidate : spec.req.model;
  const candidatePath = resolveModelPath(candidateRef, engine);
  const ws = openWorkspace(req.workspace ? path.resolve(req.workspace) : findWorkspaceRoot(candidatePath));
  const warnings: string[] = [];
  // The threads every session of the run gets (reported as run): the request's, else a default
  // that leaves a core to reading and converting the rows (models.ts).
  const intraOpThreads = req.threads ?? defaultRunThreads();

  let conn: DuckDBConnection | null = null;
  let registry: ModelRegistry | null = null;
  let input: PreparedInput | null = null;
  let attached = false;
  let stored = false;
  let dicts: Dictionaries | null = null;
  try {
    checkAbort();
    conn = await engine.store.instance.connect();

    // Traffic and the baseline model.
    let trafficKind: 'file' | 'trace';
    let trafficPath: string;
    let catalog: string | null = null;
    if (spec.kind === 'replay') {
      trafficPath = path.resolve(spec.req.traffic);
      if (!existsSync(trafficPath)) throw new SightlineError('bad_file', `traffic ${spec.req.traffic}: no such file`);
      trafficKind = isTrace(trafficPath) ? 'trace' : 'file';
      if (trafficKind === 'trace' && path.resolve(engine.store.path) !== trafficPath) {
        try {
          await conn.run(`ATTACH ${literal(trafficPath)} AS ${TRAFFIC_CATALOG} (READ_ONLY)`);
        } catch (err) {
          const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
          throw new SightlineError(/lock/i.test(msg ?? '') ? 'conflict' : 'bad_file', `cannot open the traffic trace ${trafficPath}: ${msg}${/lock/i.test(msg ?? '') ? ' (a daemon holds it: run the replay through that daemon — leave out --trace, or pass --trace with its trace file — or replay a copy)' : ''}`);
        }
        attached = true;
        catalog = TRAFFIC_CATALOG;
      }
    } else {
      trafficPath = path.resolve(spec.req.data);
      if (!existsSync(trafficPath)) throw new SightlineError('bad_file', `data ${spec.req.data}: no such file`);
      trafficKind = 'file';
    }
    let baselinePath: string | null = null;
    if (spec.kind === 'replay') {
      baselinePath = spec.req.baseline
        ? resolveModelPath(spec.req.baseline, engine)
        : await defaultBaseline(conn, { trafficKind, catalog, window: spec.req.window.model, candidatePath, ws });
    }

    // Models.
    progress('loading', 0, baselinePath ? 2 : 1);
    registry = openRunRegistry({ provider: req.provider ?? engine.options.provider, intraOpThreads, ...(req.inter_op_threads ? { interOpThreads: req.inter_op_threads } : {}) });
    const baseline = baselinePath ? await registry.load(baselinePath) : null;
    const candidate = await registry.load(candidatePath);
    if (baseline && baseline.id === candidate.id) warnings.push(`the candidate and the baseline are the same file (${candidate.id.slice(0, 12)}): every difference is nondeterminism`);
    for (const m of [baseline, candidate]) if (m?.opened.fallbackReason) warnings.push(`${m.ref}: ${m.opened.fallbackReason}`);
    progress('loading', baselinePath ? 2 : 1, baselinePath ? 2 : 1);
    checkAbort();
    const task = taskOf(candidate);
    if (baseline && taskOf(baseline) !== task) throw new SightlineError('invalid_request', `${baseline.ref} is ${baseline.card.task} but ${candidate.ref} is ${task}: they cannot be compared`);
    const gates = parseGates(req.gates);
    checkIdentifiers(gates, knownIdentifiers(kind, task), kind === 'replay' ? 'a replay report' : 'an evaluation report');
    const threshold = req.threshold ?? candidate.card.threshold ?? 0.5;
    if (baseline && req.threshold === undefined && (baseline.card.threshold ?? 0.5) !== threshold) {
      warnings.push(`the baseline's card threshold (${baseline.card.threshold ?? 0.5}) differs from the candidate's (${threshold}); both are judged at ${threshold}`);
    }
    const cardPositive = candidate.card.label?.positive;
    const positive = req.positive ?? (typeof cardPositive === 'number' ? cardPositive : typeof cardPositive === 'string' && Number.isFinite(Number(cardPositive)) ? Number(cardPositive) : 1);
    const models: ScoredModel[] = [
      ...(baseline ? [{ model: baseline, plan: outputPlan(baseline), prefix: 'b' as const }] : []),
      { model: candidate, plan: outputPlan(candidate), prefix: 'c' as const },
    ];

    // The sessions' first calls at the batch size, made while the traffic is read (see warmUp;
    // never rejects).
    const warming = warmUp(models, Math.min(req.batch_size, WARM_UP_MAX_ROWS));
    await insertRun(engine.store, {
      id: runId,
      kind,
      started,
      settings: settingsOf(spec, { candidatePath, baselinePath, trafficPath, trafficKind, workspace: ws?.root ?? null }),
    });
    stored = true;
    checkAbort();

    // Rows.
    progress('reading', 0, 1);
    const explicitSlices = req.slices !== undefined;
    input = await prepareInput(conn, {
      source: trafficKind === 'trace' ? { kind: 'trace', path: trafficPath, catalog, window: spec.kind === 'replay' ? { ...spec.req.window, ...(spec.req.window.model ? {} : { model: baseline?.name ?? candidate.name }) } : {} } : { kind: 'file', path: trafficPath },
      transform: req.transform,
      defaultTransform: ws?.config.transform ? { command: ws.config.transform, cwd: ws.root } : undefined,
      transformCwd: ws?.root,
      label: req.label,
      defaultLabel: candidate.card.label?.name ?? ws?.config.eval?.label,
      labels: req.labels,
      defaultLabels: ws?.config.labels && ws.config.joinKey ? { file: path.resolve(ws.root, ws.config.labels), key: ws.config.joinKey } : undefined,
      key: req.key,
      defaultKey: ws?.config.joinKey,
      limit: req.limit,
      attributes: req.slices ?? candidate.card.slice_attributes,
      attributesExplicit: explicitSlices,
      models: models.map((m) => m.model),
    });
    warnings.push(...input.warnings);
    dicts = await dictionaries(conn, input.features);
    progress('reading', 1, 1, `${input.scorable} rows`);
    checkAbort();

    // Scoring, then latency.
    await warming;
    const bulk = await scoreAll(conn, models, input.features, {
      batchSize: req.batch_size,
      total: input.scorable,
      dictionaries: dicts,
      onProgress: (done, total) => progress('scoring', done, total),
      ...(signal ? { signal } : {}),
    });
    checkAbort();
    const latency: LatencyStats[] = [];
    if (req.latency_rows > 0) {
      progress('latency', 0, models.length);
      for (const [i, m] of models.entries()) {
        const stats = await measureLatency(conn, m, input.features, {
          rows: req.latency_rows, batch: req.latency_batch, concurrency: req.concurrency, role: m.prefix === 'b' ? 'baseline' : 'candidate',
          intraOpThreads, interOpThreads: req.inter_op_threads ?? null, ...(signal ? { signal } : {}),
        });
        checkAbort();
        if (stats) latency.push(stats);
        progress('latency', i + 1, models.length);
      }
    }

    // The replayed predictions in the trace.
    const logging = req.log_predictions;
    if (logging) await createIds(conn, models);
    await createRowsView(conn, logging);
    if (logging) {
      progress('storing', 0, 1, 'replayed predictions');
      logged = true;
      await logReplayPredictions(conn, engine.store, { runId, models, features: input.features, attributes: input.attributes, threshold: task === 'binary_classification' ? threshold : null });
      progress('storing', 1, 1);
    }

    // Analyses.
    checkAbort();
    progress('analysing', 0, 5);
    const kinds = new Map<string, FeatureKind>(input.attributes.map((a) => [a.name, a.kind]));
    const ctx: AnalysisContext = {
      conn, task, threshold, positive, tolerance: req.tolerance, paired: baseline !== null,
      features: input.features, attributes: input.attributes, kinds,
    };
    const flips = ctx.paired ? await computeFlips(ctx, req.examples) : null;
    const outputDifference = ctx.paired ? await computeOutputDifference(ctx) : null;
    progress('analysing', 1, 5);
    checkAbort();
    const levels = await sliceLevels(ctx);
    let sliceTest: SliceTestResult | null = null;
    if (spec.kind === 'replay' && ctx.paired) {
      const loss = spec.req.slice_loss ?? (task === 'regression' ? 'abs_error' : 'log_loss');
      if (loss !== 'zero_one' && loss !== 'log_loss' && loss !== 'abs_error') throw new SightlineError('invalid_request', `--slice-loss ${loss}: slice regressions compare label losses (zero_one, log_loss, abs_error)`);
      const locate = locator(ws, models.map((m) => m.model));
      sliceTest = await sliceRegressions(ctx, {
        loss, alpha: req.alpha, minEffect: spec.req.min_effect, degree: spec.req.degree, minSupport: spec.req.min_support, minFraction: spec.req.min_fraction, top: 50,
      }, locate);
    }
    progress('analysing', 2, 5);
    checkAbort();
    const extra = (sliceTest?.regressions ?? []).map((r) => r.predicates).filter((p) => !levels.some((l) => describeSlice(l) === describeSlice(p)));
    const metrics = await computeMetrics(ctx, [...levels, ...extra]);
    progress('analysing', 3, 5);
    checkAbort();
    const drift = ctx.paired ? await predictionDrift(ctx) : null;
    progress('analysing', 4, 5);
    checkAbort();
    const reference = task === 'binary_classification'
      ? await referencePositiveRate(conn, {
          given: req.baseline_positive_rate,
          baselineFile: ws ? workspacePath(ws, ws.config.baseline?.path) : null,
          baselineName: ws?.config.baseline?.name,
          label: candidate.card.label?.name,
          positive, kind, traffic: input.description,
        })
      : null;
    const sanity = await labelSanity(conn, { task, positive, reference, minCoverage: req.min_label_coverage, maxRateRatio: req.max_rate_ratio, labelColumn: input.labelColumn });
    warnings.push(...sanity.warnings);
    if (sliceTest?.note && sanity.labelled > 0) warnings.push(`slice regressions: ${sliceTest.note}`);
    progress('analysing', 5, 5);

    // Slices: the regressed ones first, then worst delta first, at most max_slices.
    const regressedKeys = new Set((sliceTest?.regressions ?? []).map((r) => describeSlice(r.predicates)));
    const ranked = rankSlices(metrics.slices, task);
    const slices: SliceComparison[] = [...ranked.filter((s) => regressedKeys.has(describeSlice(s.predicates))), ...ranked.filter((s) => !regressedKeys.has(describeSlice(s.predicates)))].slice(0, req.max_slices);

    const ended = new Date().toISOString();
    const describeModel = (m: LoadedModel): ReplayModel => ({ name: m.name, version: m.version, id: m.id, path: m.path, execution_provider: m.provider });
    const draft: ReplayReport = {
      schema: 1,
      kind,
      run_id: runId,
      started,
      ended,
      traffic: { source: input.description, window: input.window, rows: bulk.rows },
      task,
      threshold: task === 'binary_classification' ? threshold : null,
      baseline: baseline ? describeModel(baseline) : null,
      candidate: describeModel(candidate),
      overall: metrics.overall,
      slices,
      slice_regressions: sliceTest?.regressions ?? [],
      flips,
      output_difference: outputDifference,
      latency,
      prediction_drift: drift,
      label_sanity: sanity,
      gates: [],
      passed: true,
      environment: {
        execution_providers: Object.fromEntries(models.map((m) => [m.model.ref, m.model.provider])),
        onnxruntime: onnxruntimeVersion,
        sightline: VERSION,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpus: os.cpus().length || null,
        intra_op_threads: intraOpThreads,
        inter_op_threads: req.inter_op_threads ?? null,
        concurrency: req.concurrency,
        batch_size: req.batch_size,
        tolerance: { abs: req.tolerance.abs, rel: req.tolerance.rel },
      },
      warnings: [...new Set(warnings)],
      throughput: { rows: bulk.rows, model_rows: bulk.rows * models.length, seconds: bulk.seconds, rows_per_s: bulk.seconds > 0 ? (bulk.rows * models.length) / bulk.seconds : 0, batch_size: bulk.batchSize, in_flight: bulk.inFlight },
      skipped_rows: input.rows - input.scorable,
      prediction_source: logging ? `replay:${runId}` : null,
      trace: path.resolve(engine.store.path),
      slice_test: sliceTest ? { loss: spec.kind === 'replay' ? (spec.req.slice_loss ?? (task === 'regression' ? 'abs_error' : 'log_loss')) : 'log_loss', method: 'paired t-test of the per-row loss difference, Benjamini–Hochberg', alpha: req.alpha, min_effect: sliceTest.minEffect ?? (spec.kind === 'replay' ? spec.req.min_effect : 0), candidates: sliceTest.candidates } : null,
    };
    checkAbort();
    const results = evaluateGates(gates, namedValues(draft));
    const report = ReplayReport.parse({ ...draft, gates: results, passed: results.every((g) => g.passed) });
    await finishRun(engine.store, runId, { ended, status: report.passed ? 'ok' : 'failed', results: report, gates: report.gates });
    progress('done', 1, 1, report.passed ? 'passed' : 'a gate failed', report.passed);
    return report;
  } catch (caught) {
    // An abort that surfaced as another error (e.g. a batch cut short) is still a cancellation.
    const err = signal?.aborted && !(caught instanceof RunCancelledError) ? new RunCancelledError(runId, abortReason(signal)) : caught;
    if (err instanceof RunCancelledError) {
      if (stored) {
        if (logged) await dropReplayPredictions(engine.store, runId).catch(() => undefined);
        await finishRun(engine.store, runId, { ended: new Date().toISOString(), status: 'cancelled', results: null, gates: null }).catch(() => undefined);
      }
      progress('cancelled', 0, 0, err.reason);
      throw err;
    }
    if (stored) {
      const message = err instanceof Error ? err.message : String(err);
      await finishRun(engine.store, runId, { ended: new Date().toISOString(), status: 'error', results: { error: message }, gates: null }).catch(() => undefined);
    }
    progress('failed', 0, 0, err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    input?.cleanup();
    if (conn) {
      for (const t of ['sl_rows']) await conn.run(`DROP VIEW IF EXISTS ${t}`).catch(() => undefined);
      if (dicts) await dropDictionaries(conn).catch(() => undefined);
      for (const t of ['sl_ids', 'sl_scores', 'sl_input', 'sl_source']) await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
      if (attached) await conn.run(`DETACH ${TRAFFIC_CATALOG}`).catch(() => undefined);
      conn.closeSync();
    }
    await registry?.close().catch(() => undefined);
  }
}

/** A DuckDB file (a trace) rather than a data file: by extension, else by DuckDB's magic bytes. */
export function isTrace(file: string): boolean {
  if (/\.(duckdb|ddb|db)$/i.test(file)) return true;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(12);
      readSync(fd, buf, 0, 12, 0);
      return buf.subarray(8, 12).toString('latin1') === 'DUCK';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * The baseline when none is named: for trace traffic, the model that served it (its file, as the
 * trace recorded it); for a data file, the version listed before the candidate (same card name)
 * in the workspace's sightline.json.
 */
async function defaultBaseline(
  conn: DuckDBConnection,
  o: { trafficKind: 'file' | 'trace'; catalog: string | null; window: string | undefined; candidatePath: string; ws: RunWorkspace | null },
): Promise<string> {
  if (o.trafficKind === 'trace') {
    const q = (t: string): string => (o.catalog ? `${o.catalog}.${t}` : t);
    const at = o.window?.lastIndexOf('@') ?? -1;
    const where = o.window ? (at > 0 ? `p.model_name = ${literal(o.window.slice(0, at))} AND p.model_version = ${literal(o.window.slice(at + 1))}` : `p.model_name = ${literal(o.window)}`) : 'true';
    const rows = await readRows(conn, `SELECT m.path, m.name, m.version, count(*) AS n FROM ${q('predictions')} p JOIN ${q('models')} m ON m.id = p.model_id
      WHERE p.source = 'served' AND ${where} GROUP BY ALL ORDER BY n DESC LIMIT 1`);
    const r = rows[0];
    if (!r) throw new SightlineError('invalid_request', 'the traffic trace has no served predictions to take the baseline model from; give --baseline MODEL.onnx');
    const p = r.path === null || r.path === undefined ? null : String(r.path);
    if (!p || !existsSync(p)) throw new SightlineError('invalid_request', `the traffic was served by ${String(r.name)}@${String(r.version)}${p ? ` from ${p}, which is not on this machine` : ''}; give --baseline MODEL.onnx`);
    return p;
  }
  if (o.ws) {
    const cards = o.ws.cards().filter((c) => c.path.toLowerCase().endsWith('.onnx'));
    const cand = cards.find((c) => path.resolve(c.path) === o.candidatePath);
    const name = cand?.card.name;
    const same = cards.filter((c) => path.resolve(c.path) !== o.candidatePath && (name === undefined || c.card.name === name));
    const idx = cand ? cards.indexOf(cand) : cards.length;
    const before = same.filter((c) => cards.indexOf(c) < idx);
    const pick = before[before.length - 1] ?? same[0];
    if (pick) return path.resolve(pick.path);
  }
  throw new SightlineError('invalid_request', 'no baseline model: give --baseline MODEL.onnx (the current model to compare the candidate with)');
}

/** Feature → its training and serving definitions (absolute file, line), from the workspace's feature map. */
export function locator(ws: RunWorkspace | null, models: LoadedModel[]): (feature: string) => SliceRegression['locations'] {
  if (!ws) return () => [];
  const known = new Map<string, NonNullable<SliceRegression['locations']>>();
  const build = (extra: string[]): void => {
    try {
      const features = [...models.flatMap((m) => m.card.features.map((f) => ({ name: f.name, kind: f.kind }))), ...extra.map((name) => ({ name }))];
      const fm = buildFeatureMap(ws.root, { features });
      for (const e of fm.features) {
        const locs: NonNullable<SliceRegression['locations']> = [];
        for (const side of ['training', 'serving'] as const) {
          const l = e[side];
          if (l) locs.push({ feature: e.name, file: l.file, line: l.line });
        }
        known.set(e.name, locs);
      }
    } catch {
      /* no feature map: regressions are reported without locations */
    }
  };
  let built = false;
  return (feature) => {
    if (!built) {
      built = true;
      build([feature]);
    }
    if (!known.has(feature)) build([feature]);
    if (!known.has(feature)) known.set(feature, []);
    return known.get(feature) ?? [];
  };
}

function settingsOf(spec: RunSpec, resolved: { candidatePath: string; baselinePath: string | null; trafficPath: string; trafficKind: string; workspace: string | null }): Record<string, unknown> {
  const { gates, ...rest } = spec.req;
  return {
    ...rest,
    ...(spec.kind === 'replay' ? { traffic: resolved.trafficPath, traffic_kind: resolved.trafficKind, candidate: resolved.candidatePath, baseline: resolved.baselinePath } : { data: resolved.trafficPath, model: resolved.candidatePath }),
    workspace: resolved.workspace,
    gates: gates.map((g) => g.expr),
  };
}

export type { EvaluationTask };
