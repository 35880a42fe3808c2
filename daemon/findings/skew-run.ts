/**
 * Training–serving skew runs: resolves the two sides (plain files, or a trace's logged
 * predictions against a training file or a stored baseline), runs the offline feature command of
 * replay mode, computes the report in DuckDB (daemon/analysis/skew/) and turns skewed features
 * into findings of kind `skew`.
 *
 * Replay: the raw inputs are rendered as JSON lines by DuckDB and streamed to the command's
 * stdin (the only place JavaScript touches rows); its stdout goes straight into a temporary
 * file, which DuckDB then reads. The command is spawned without a shell (argv from
 * `splitShellWords`), with a timeout; a failure is a typed error carrying its stderr.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeRelation, inferFeatureKinds, type FeatureKind } from '../analysis';
import { readRow, toNumber } from '../analysis/rows';
import {
  compareRows,
  computeDistributionSkew,
  loggedRawCountSql,
  outputRelation,
  outputSummarySql,
  rawLinesFromLogSql,
  rawLinesFromRelationSql,
  ShellWordsError,
  splitShellWords,
  type NumericTolerance,
  type RowComparisonResult,
  type SkewFeatureSpec,
  type SkewThresholdValues,
} from '../analysis/skew';
import { SightlineError, SkewReport, type SkewMode, type SkewThresholds } from '../../protocol';
import { requireBaseline } from '../baselines/baseline-store';
import { describeWindow, windowRelation, type WindowSpec } from '../baselines/prediction-window';
import { fileRelation } from '../io/tabular';
import { ident, literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import { modelCards } from './drift-run';
import type { FindingRecord } from './findings-store';
import { featureHistogram } from './histogram';

export interface SkewRunRequest {
  /** Default: `replay` with a transform, `rows` with a key, else `distribution`. */
  mode?: SkewMode;
  /** Training side of distribution/rows: a CSV/Parquet/JSONL file… */
  training?: string;
  /** …or (trace only) a baseline stored in the trace. */
  baseline?: string;
  /** Replay: raw inputs from a file (default on a trace: the raw inputs its predictions logged). */
  raw?: string;
  /** Join key of rows/replay: the training column (and the serving file's); a trace joins on `join_key`. */
  key?: string;
  transform?: { command: string; cwd?: string; timeout_s?: number };
  /** Trace only: which logged predictions are the served side. */
  window?: WindowSpec;
  features?: string[];
  /** Files only: columns to treat as categorical whatever their type. */
  categorical?: string[];
  thresholds?: SkewThresholds;
  feature_thresholds?: Record<string, SkewThresholds>;
  tolerance?: Partial<NumericTolerance>;
  examples?: number;
}

export interface SkewRunResult {
  report: SkewReport;
  /** Skewed features as findings (trace runs only; saved by the caller when asked). */
  findings: FindingRecord[];
  /** What the served side was compared with, as findings record it (their `baseline`). */
  baseline: string;
  /** The served window in words (trace runs), else the serving file. */
  window: string;
  modelName: string | null;
}

export const DEFAULT_TRANSFORM_TIMEOUT_S = 300;

/** The mode a request asks for, explicitly or by its flags; checks that the mode has what it needs. */
export function skewMode(req: SkewRunRequest, servedFrom: 'file' | 'trace'): SkewMode {
  const mode: SkewMode = req.mode ?? (req.transform ? 'replay' : req.key ? 'rows' : 'distribution');
  const training = req.training !== undefined || req.baseline !== undefined;
  if (req.training !== undefined && req.baseline !== undefined) throw usage('give either a training file or a baseline, not both');
  if (req.baseline !== undefined && servedFrom === 'file') throw usage('a baseline lives in a trace: use it with --db TRACE, or give --training FILE');
  if (mode === 'replay') {
    if (!req.transform) throw usage('replay mode needs --transform CMD: the offline feature command (JSONL on stdin → JSONL on stdout)');
    if (!req.key) throw usage('replay mode needs --key COL: the field the transform passes through, to join its output with what was served');
    if (training) throw usage('replay mode computes the training side with --transform from raw inputs (--raw FILE, or the raw inputs a trace logged); drop --training/--baseline, or choose --mode distribution|rows');
    if (req.raw === undefined && servedFrom === 'file') throw usage('replay on files needs --raw FILE: the raw inputs to run --transform on');
  } else {
    if (!training) throw usage(`${mode} mode needs the training side: --training FILE${servedFrom === 'trace' ? ' or --baseline NAME' : ''}`);
    if (req.transform) throw usage(`--transform belongs to replay mode, not ${mode}`);
    if (req.raw !== undefined) throw usage(`--raw belongs to replay mode, not ${mode}`);
    if (mode === 'rows' && !req.key) throw usage('rows mode needs --key COL: the column that identifies the same entity in training and serving rows');
  }
  return mode;
}

/** Skew between a serving file and a training file (or raw inputs + transform), in an in-memory DuckDB. */
export async function skewOnFiles(req: SkewRunRequest & { serving: string }): Promise<SkewRunResult> {
  const mode = skewMode(req, 'file');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const serving = fileRelation(req.serving);
    const servingColumns = await columnsOf(conn, serving, req.serving);
    if (req.key !== undefined && mode !== 'distribution' && !servingColumns.includes(req.key)) {
      throw new SightlineError('invalid_request', `key column "${req.key}" is not in the serving file ${req.serving} (columns: ${servingColumns.join(', ')})`);
    }
    const overrides = Object.fromEntries((req.categorical ?? []).map((c) => [c, 'categorical' as const]));
    const served: ServedSide = {
      relation: serving,
      key: req.key ?? null,
      // Kinds: the training file's types decide (as drift's reference does); replay output is text, so there the serving file's.
      kinds: async (training) => (await inferFeatureKinds(conn, mode === 'replay' ? serving : training, { overrides })).map((f) => ({ name: f.name, kind: f.kind })),
      columns: new Set(servingColumns),
    };
    const computed = await computeSkew(conn, mode, req, served);
    await computed.cleanup();
    return { report: computed.report, findings: [], baseline: computed.label, window: req.serving, modelName: null };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * Skew of a trace's logged predictions (the served side, feature names and kinds from the model
 * cards, key `join_key`) against a training file, a stored baseline, or replayed raw inputs.
 */
export async function skewOnTrace(store: TraceStore, req: SkewRunRequest): Promise<SkewRunResult> {
  const mode = skewMode(req, 'trace');
  const window = req.window ?? {};
  const cards = await modelCards(store, window.model);
  if (cards.length === 0) throw new SightlineError('not_found', `no model${window.model ? ` "${window.model}"` : ''} has predictions in ${store.path}`);
  const kinds = new Map<string, FeatureKind>();
  for (const c of cards) for (const f of c.features) if (!kinds.has(f.name)) kinds.set(f.name, f.kind);
  const windowFeatures = [...kinds].map(([name, kind]) => ({ name, kind }));
  const served = windowRelation(store, windowFeatures, window);
  const baselineTable = req.baseline !== undefined ? (await requireBaseline(store, req.baseline)).table : undefined;
  const { conn, close } = await analysisConnection(store, baselineTable);
  let computed: ComputedSkew | undefined;
  try {
    computed = await computeSkew(conn, mode, { ...req, ...(baselineTable ? { baselineRelation: ident(baselineTable) } : {}) }, {
      relation: served,
      key: '__join_key',
      // A key predicted more than once: its newest prediction is the one served last.
      order: '__time DESC, __id DESC',
      kinds: async () => windowFeatures,
      columns: new Set(kinds.keys()),
      loggedRaw: served,
    });
    const { report, label, trainingRelation } = computed;
    const windowDesc = describeWindow(window);
    const modelName = window.model ? window.model.split('@')[0]! : cards.length === 1 ? cards[0]!.name : null;
    const findings: FindingRecord[] = [];
    for (const f of report.features) {
      if (!f.skew) continue;
      const histogram = await featureHistogram(conn, trainingRelation, served, f.name, f.kind);
      findings.push({
        kind: 'skew', feature: f.name, model_name: modelName, score: f.score, threshold: f.threshold, metric: f.metric,
        baseline: label, window_desc: windowDesc,
        details: findingDetails(report, f, histogram),
      });
    }
    return { report, findings, baseline: label, window: windowDesc, modelName };
  } finally {
    await computed?.cleanup();
    close();
  }
}

/** The served side of a run, however it is stored. */
interface ServedSide {
  relation: string;
  /** Its key column (null when none was given: distribution on files). */
  key: string | null;
  /** ORDER BY choosing the row kept when a key repeats. */
  order?: string;
  /** Candidate features with their kinds, given the training relation. */
  kinds: (trainingRelation: string) => Promise<Array<{ name: string; kind: FeatureKind }>>;
  /** Columns of the served relation that are features. */
  columns: Set<string>;
  /** The window relation whose logged raw inputs replay reads (traces only). */
  loggedRaw?: string;
}

interface ComputedSkew {
  report: SkewReport;
  /** The training side as a relation (for histograms); valid until `cleanup`. */
  trainingRelation: string;
  label: string;
  cleanup: () => Promise<void>;
}

async function computeSkew(conn: DuckDBConnection, mode: SkewMode, req: SkewRunRequest & { baselineRelation?: string }, served: ServedSide): Promise<ComputedSkew> {
  const thresholds = (name: string): Partial<SkewThresholdValues> | undefined => req.feature_thresholds?.[name];
  const specs = (candidates: Array<{ name: string; kind: FeatureKind }>, trainingColumns: Set<string>, trainingWhat: string): SkewFeatureSpec[] => {
    let features = candidates.filter((c) => served.columns.has(c.name) && trainingColumns.has(c.name) && c.name !== req.key);
    if (req.features) {
      for (const w of req.features) {
        if (!features.some((f) => f.name === w)) throw new SightlineError('invalid_request', `feature "${w}" is not a comparable column of both ${trainingWhat} and the served data (compared: ${features.map((f) => f.name).join(', ') || 'none'})`);
      }
      features = features.filter((f) => req.features!.includes(f.name));
    }
    if (features.length === 0) throw new SightlineError('invalid_request', `${trainingWhat} and the served data share no numeric or categorical feature`);
    return features.map((f) => ({ name: f.name, kind: f.kind, ...(thresholds(f.name) ? { thresholds: thresholds(f.name)! } : {}) }));
  };

  if (mode === 'replay') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-skew-'));
    const cleanup = async (): Promise<void> => rmSync(dir, { recursive: true, force: true });
    try {
      const key = req.key!;
      const transform = req.transform!;
      let linesSql: string;
      if (req.raw !== undefined) {
        const raw = fileRelation(req.raw);
        await columnsOf(conn, raw, req.raw);
        linesSql = rawLinesFromRelationSql(raw);
      } else {
        const counts = await readRow(conn, loggedRawCountSql(served.loggedRaw!));
        if (toNumber(counts.predictions) === 0) throw new SightlineError('invalid_request', 'no logged predictions in this window to replay');
        if (toNumber(counts.with_raw) === 0) {
          throw new SightlineError('invalid_request', `none of the ${toNumber(counts.predictions)} predictions in this window kept its raw input: start the daemon with \`sightline serve --log-raw\`, or give the raw inputs with --raw FILE`);
        }
        linesSql = rawLinesFromLogSql(served.loggedRaw!, key);
      }
      const run = await runTransform(conn, linesSql, transform.command, {
        dir, cwd: transform.cwd, timeoutMs: 1000 * (transform.timeout_s ?? DEFAULT_TRANSFORM_TIMEOUT_S),
      });
      const members = await transformOutputMembers(conn, run.file, transform.command, run.stderr);
      if (!members.includes(key)) {
        throw new SightlineError('bad_value', `the output of \`${transform.command}\` has no "${key}" field (fields: ${members.join(', ') || 'none'}); the transform must pass the key through to join its rows with what was served`);
      }
      const training = outputRelation(run.file, members);
      const features = specs(await served.kinds(training), new Set(members), `the output of \`${transform.command}\``);
      const result = await compareRows(conn, {
        mode: 'replay',
        training: { relation: training, key },
        serving: { relation: served.relation, key: served.key ?? key, ...(served.order ? { order: served.order } : {}) },
        features, ...common(req),
      });
      requireMatches(result, key, `the output of \`${transform.command}\``, 'replay');
      const report = SkewReport.parse({ mode, ...rowReport(result, key), transform: { command: transform.command, rows_in: run.rowsIn, rows_out: result.rows_training, seconds: run.seconds } });
      return { report, trainingRelation: training, label: `${transform.command} (replay on ${key})`, cleanup };
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  let training: string;
  let trainingWhat: string;
  let label: string;
  if (req.baselineRelation !== undefined) {
    training = req.baselineRelation;
    trainingWhat = `baseline "${req.baseline}"`;
    label = req.baseline!;
  } else {
    training = fileRelation(req.training!);
    trainingWhat = `the training file ${req.training}`;
    label = path.basename(req.training!);
  }
  const trainingColumns = await columnsOf(conn, training, trainingWhat);
  if (mode === 'rows' && !trainingColumns.includes(req.key!)) {
    throw new SightlineError('invalid_request', `key column "${req.key}" is not in ${trainingWhat} (columns: ${trainingColumns.join(', ')})`);
  }
  const features = specs(await served.kinds(training), new Set(trainingColumns), trainingWhat);
  const noCleanup = async (): Promise<void> => undefined;
  if (mode === 'distribution') {
    const result = await computeDistributionSkew(conn, { training, serving: served.relation, features, ...(req.thresholds ? { thresholds: req.thresholds } : {}) });
    return { report: SkewReport.parse({ mode, ...result }), trainingRelation: training, label, cleanup: noCleanup };
  }
  const key = req.key!;
  const result = await compareRows(conn, {
    mode: 'rows',
    training: { relation: training, key },
    serving: { relation: served.relation, key: served.key ?? key, ...(served.order ? { order: served.order } : {}) },
    features, ...common(req),
  });
  requireMatches(result, key, trainingWhat, 'rows');
  return { report: SkewReport.parse({ mode, ...rowReport(result, key) }), trainingRelation: training, label: `${label} (rows on ${key})`, cleanup: noCleanup };
}

function common(req: SkewRunRequest) {
  return {
    ...(req.thresholds ? { thresholds: req.thresholds } : {}),
    ...(req.tolerance ? { tolerance: req.tolerance } : {}),
    ...(req.examples !== undefined ? { examples: req.examples } : {}),
  };
}

function rowReport(result: RowComparisonResult, key: string) {
  const { features, skewed, tolerance, ...counts } = result;
  return { features, skewed, key, ...counts, tolerance };
}

/** Rows mode without a single shared key compares nothing: say why instead of reporting zeros. */
function requireMatches(result: RowComparisonResult, key: string, trainingWhat: string, mode: 'rows' | 'replay'): void {
  if (result.matched > 0) return;
  const keysTraining = result.only_training;
  const keysServing = result.only_serving;
  const hint = keysServing === 0
    ? 'the served rows carry no key (a trace joins on the join_keys sent with predict)'
    : mode === 'rows'
      ? 'the two sides describe different entities; to check the feature code on the served ones, replay their raw inputs through the training code (--transform)'
      : `the raw inputs are not the requests that were served, or "${key}" is not the field the served join keys came from`;
  throw new SightlineError('invalid_request', `no "${key}" value is on both sides: ${keysTraining} key(s) in ${trainingWhat}, ${keysServing} served; ${hint}`);
}

function findingDetails(report: SkewReport, f: SkewReport['features'][number], histogram: Awaited<ReturnType<typeof featureHistogram>>): Record<string, unknown> {
  const metrics = f.metrics ?? { mismatch_rate: f.mismatch_rate, ...(f.kind === 'numeric' ? { mean_abs_diff: f.mean_abs_diff, max_abs_diff: f.max_abs_diff } : {}) };
  return {
    mode: f.mode,
    kind: f.kind,
    metrics,
    histogram,
    // The LSP reads proportions at the top level too (protocol/findings.ts DriftDetails).
    ref: histogram.ref,
    cur: histogram.cur,
    ...(f.mismatch_rate !== undefined ? { mismatch_rate: f.mismatch_rate, compared: f.compared, mismatches: f.mismatches, examples: f.examples ?? [] } : {}),
    ...(f.mean_abs_diff !== undefined ? { mean_abs_diff: f.mean_abs_diff, max_abs_diff: f.max_abs_diff } : {}),
    ...(f.n_training !== undefined ? { n_training: f.n_training, n_serving: f.n_serving } : {}),
    ...(f.missing_training !== undefined ? { missing_training: f.missing_training, missing_serving: f.missing_serving } : {}),
    ...(report.key !== undefined ? { key: report.key, matched: report.matched, only_training: report.only_training, only_serving: report.only_serving } : {}),
    ...(report.transform ? { transform: report.transform.command } : {}),
  };
}

/**
 * A connection to run the analysis on. A writable trace (the daemon's, or a CLI run with --save)
 * gets a fresh connection of its own instance, so the long replay stream never shares one with
 * the prediction writer. A read-only trace is opened without access to local files (a shared
 * trace must not read them), which the training file, raw file and transform output need: it is
 * attached read-only to an in-memory DuckDB instead, after checking that the tables read are
 * plain tables (no view of a foreign trace runs with file access).
 */
async function analysisConnection(store: TraceStore, baselineTable: string | undefined): Promise<{ conn: DuckDBConnection; close: () => void }> {
  if (!store.readOnly) {
    const conn = await store.instance.connect();
    return { conn, close: () => conn.closeSync() };
  }
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run(`ATTACH ${literal(path.resolve(store.path))} AS sightline_trace (READ_ONLY)`);
    await conn.run('USE sightline_trace');
    const tables = ['predictions', 'labels', ...(baselineTable ? [baselineTable] : [])];
    const reader = await conn.runAndReadAll(
      `SELECT table_name FROM information_schema.tables WHERE table_catalog = 'sightline_trace' AND table_type = 'BASE TABLE' AND table_name IN (${tables.map(literal).join(', ')})`,
    );
    const found = new Set(reader.getRowObjectsJS().map((r) => String(r.table_name)));
    const odd = tables.filter((t) => !found.has(t));
    if (odd.length > 0) throw new SightlineError('bad_file', `${store.path}: ${odd.join(', ')} is not a plain table; refusing to read it`);
  } catch (err) {
    conn.closeSync();
    db.closeSync();
    throw err instanceof SightlineError ? err : new SightlineError('bad_file', `cannot open ${store.path} for analysis: ${firstLine(err)}`);
  }
  return { conn, close: () => { conn.closeSync(); db.closeSync(); } };
}

async function columnsOf(conn: DuckDBConnection, relation: string, what: string): Promise<string[]> {
  try {
    return (await describeRelation(conn, relation)).map((c) => c.name);
  } catch (err) {
    throw new SightlineError('bad_file', `cannot read ${what}: ${firstLine(err)}`);
  }
}

// ── the offline feature command ──────────────────────────────────────────────

interface TransformRun {
  /** Its stdout, as written. */
  file: string;
  rowsIn: number;
  seconds: number;
  stderr: string;
}

const STDERR_KEEP = 16 * 1024;

/**
 * Streams `linesSql` (one `line` per raw record) as JSONL to the command's stdin and its stdout
 * into `dir/output.jsonl`. Fails with a typed error when the command cannot start, exits
 * non-zero, or outlives `timeoutMs` (it is then killed).
 */
export async function runTransform(
  conn: DuckDBConnection,
  linesSql: string,
  command: string,
  opts: { dir: string; cwd?: string | undefined; timeoutMs: number },
): Promise<TransformRun> {
  let argv: string[];
  try {
    argv = splitShellWords(command);
  } catch (err) {
    if (err instanceof ShellWordsError) throw new SightlineError('invalid_request', `--transform: ${err.message}`);
    throw err;
  }
  if (opts.cwd !== undefined && !(existsSync(opts.cwd) && statSync(opts.cwd).isDirectory())) {
    throw new SightlineError('invalid_request', `transform working directory ${opts.cwd} does not exist`);
  }
  const file = path.join(opts.dir, 'output.jsonl');
  const t0 = performance.now();
  const out = openSync(file, 'w');
  let child: ReturnType<typeof spawn>;
  try {
    // `node …` runs on the Node that runs the daemon: an editor may start the daemon with its own
    // Node (VS Code's, with ELECTRON_RUN_AS_NODE in the environment), and `node` need not be on PATH.
    const exe = argv[0] === 'node' ? process.execPath : argv[0]!;
    child = spawn(exe, argv.slice(1), { cwd: opts.cwd, stdio: ['pipe', out, 'pipe'], env: process.env, windowsHide: true });
  } finally {
    closeSync(out);
  }
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-STDERR_KEEP);
  });
  let startError: NodeJS.ErrnoException | null = null;
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      startError = err;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let finished = false;
  void ended.then(() => { finished = true; });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);

  let rowsIn = 0;
  const stdin = child.stdin!;
  let stdinBroken = false;
  stdin.on('error', () => { stdinBroken = true; }); // EPIPE when the command stops reading; its exit status tells why
  try {
    const result = await conn.stream(linesSql);
    for (;;) {
      if (finished || stdinBroken) break;
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const lines = chunk.getColumns()[0] ?? [];
      rowsIn += chunk.rowCount;
      if (!stdin.write(`${lines.join('\n')}\n`)) {
        await Promise.race([writable(stdin), ended]);
      }
    }
  } catch (err) {
    child.kill('SIGKILL');
    clearTimeout(timer);
    throw new SightlineError('bad_file', `cannot read the raw inputs: ${firstLine(err)}`);
  } finally {
    stdin.end();
  }
  const { code, signal } = await ended;
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  const shown = `\`${command}\``;
  const err = startError as NodeJS.ErrnoException | null;
  if (err) {
    const why = err.code === 'ENOENT' ? `command not found: ${argv[0]} (it runs without a shell: give a path or a program on PATH${opts.cwd ? `; relative paths start at ${opts.cwd}` : ''})`
      : err.code === 'EACCES' ? `${argv[0]} is not executable`
      : err.message;
    throw new SightlineError('invalid_request', `transform ${shown} could not start: ${why}`);
  }
  if (timedOut) throw new SightlineError('invalid_request', `transform ${shown} did not finish within ${opts.timeoutMs / 1000} s and was stopped${tail(stderr)}`);
  if (code !== 0) {
    throw new SightlineError('invalid_request', `transform ${shown} ${code === null ? `was killed by ${signal}` : `exited with code ${code}`} (${rowsIn} raw record(s) sent to its stdin)${tail(stderr)}`);
  }
  return { file, rowsIn, seconds, stderr };
}

/** Resolves when a stream that refused a write can take more, or is gone (the command exited). */
function writable(stream: NodeJS.WritableStream & { off(event: string, fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** The member names of the transform's JSON objects, after checking that its output is JSON lines of objects. */
async function transformOutputMembers(conn: DuckDBConnection, file: string, command: string, stderr: string): Promise<string[]> {
  let summary: Record<string, unknown>;
  try {
    summary = await readRow(conn, outputSummarySql(file));
  } catch (err) {
    throw new SightlineError('bad_value', `the output of \`${command}\` is not JSON lines (${firstLine(err).replace(/^Invalid Input Error: /, '')}); it starts: ${JSON.stringify(head(file))}${tail(stderr)}`);
  }
  const lines = toNumber(summary.lines);
  if (lines === 0) throw new SightlineError('bad_value', `\`${command}\` printed no JSON lines${tail(stderr)}`);
  const nonObjects = toNumber(summary.non_objects);
  if (nonObjects > 0) throw new SightlineError('bad_value', `the output of \`${command}\` has ${nonObjects} line(s) that are not JSON objects (one object per line expected); it starts: ${JSON.stringify(head(file))}`);
  return Array.isArray(summary.members) ? summary.members.map(String) : [];
}

function head(file: string, bytes = 200): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The end of a command's stderr, for an error message. */
function tail(stderr: string): string {
  const text = stderr.trimEnd();
  if (!text) return '';
  const lines = text.split('\n');
  const last = lines.slice(-15).join('\n');
  return `; its stderr ends:\n${last.length > 2000 ? last.slice(-2000) : last}`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function usage(message: string): SightlineError {
  return new SightlineError('invalid_request', message);
}
