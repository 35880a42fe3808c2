/**
 * What `sightline replay` and `sightline eval` share on the command line: the run options, where
 * the run happens (through the running daemon when it holds the trace, else in-process on a
 * trace file — CI), progress, and the output files (JSON, JUnit, SARIF, Markdown).
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExecutionProvider, ReplayReport, SightlineError, SliceLoss, type RunProgress } from '../../protocol';
import { findDaemon } from '../cli/connect';
import { EXIT, Interrupted, progress as progressBar, printJson, type Progress } from '../cli/output';
import { Engine } from '../engine';
import { gateSpecs } from '../gates';
import { gatesJunit } from '../reports/junit';
import { replayMarkdown } from '../reports/markdown';
import { replaySarif } from '../reports/sarif';
import { formatRunSummary } from '../reports/summary';
import { executeRun, RunCancelledError, type RunSpec } from './run';
import { findWorkspaceRoot } from './workspace';

export const DEFAULT_CI_TRACE = path.join('.sightline', 'ci-trace.duckdb');

export interface RunCliOpts {
  workspace?: string;
  transform?: string;
  featuresCmd?: string;
  transformTimeout?: string;
  label?: string;
  labels?: string;
  key?: string;
  slices?: string;
  threshold?: string;
  positive?: string;
  limit?: string;
  batchSize?: string;
  concurrency?: string;
  threads?: string;
  interThreads?: string;
  provider?: string;
  latencyRows?: string;
  latencyBatch?: string;
  absTol?: string;
  relTol?: string;
  alpha?: string;
  minLabelCoverage?: string;
  maxRateRatio?: string;
  baselinePositiveRate?: string;
  maxSlices?: string;
  examples?: string;
  gate?: string[];
  gates?: string;
  configGates?: boolean;
  logPredictions?: boolean;
  trace?: string;
  daemon?: boolean;
  json?: boolean;
  junit?: string;
  sarif?: string;
  markdown?: string;
  reportRoot?: string;
  quiet?: boolean;
}

/** Options every run command has. */
export function runOptionFlags(cmd: Command): Command {
  return cmd
    .option('--workspace <dir>', 'the workspace (folder of sightline.json); default: found from the model\'s folder upwards')
    .option('--transform <cmd>', 'turn raw records into model features: a command reading JSON lines on stdin and printing feature JSON lines (run without a shell), e.g. "node dist/samples/serving-features.js"')
    .option('--features-cmd <cmd>', 'same as --transform')
    .option('--transform-timeout <seconds>', 'stop the transform after this long (default 300)')
    .option('--label <col>', 'column of the true label (default: the model card\'s label name when the data has it)')
    .option('--labels <file>', 'labels from another file (CSV, Parquet, JSONL), joined on --key')
    .option('--key <col>', 'join key column (default: sightline.json "joinKey" when present)')
    .option('--slices <attrs>', 'slice attributes, comma-separated (default: the model card\'s slice_attributes)')
    .option('--threshold <p>', 'classification: predicted positive when score ≥ p (default: the card\'s, else 0.5)')
    .option('--positive <value>', 'the positive label value (default: the card\'s, else 1)')
    .option('--limit <n>', 'only the first N rows')
    .option('--batch-size <n>', 'rows per inference call in the bulk pass', '4096')
    .option('--concurrency <n>', 'calls in flight while latency is measured', '1')
    .option('--threads <n>', 'onnxruntime intra-op threads per session (default: one fewer than the cores, at least 1)')
    .option('--inter-threads <n>', 'onnxruntime inter-op threads per session')
    .option('--provider <name>', `execution provider: ${ExecutionProvider.options.join(' | ')} (falls back to cpu, recorded in the run)`)
    .option('--latency-rows <n>', 'rows used to measure latency (0: skip)', '1000')
    .option('--latency-batch <n>', 'rows per call while latency is measured', '1')
    .option('--abs-tol <x>', 'outputs within abs-tol + rel-tol·|baseline| are equal (nondeterminism)', '1e-6')
    .option('--rel-tol <x>', 'see --abs-tol', '1e-6')
    .option('--alpha <q>', 'significance level (and false-discovery rate of Benjamini–Hochberg)', '0.05')
    .option('--min-label-coverage <share>', 'label sanity: warn below this labelled share', '0.9')
    .option('--max-rate-ratio <x>', 'label sanity: warn when the positive rate is off the reference by more than ×x', '2')
    .option('--baseline-positive-rate <p>', 'label sanity: the reference positive rate (default: the workspace baseline\'s label column, else the previous run)')
    .option('--max-slices <n>', 'slices kept in the report', '100')
    .option('--examples <n>', 'flipped rows kept as examples', '20')
    .option('--gate <expr>', 'a gate, e.g. "flip_rate < 0.02" (repeatable)', collect, [])
    .option('--gates <file>', 'gates from a file (JSON list or {replay, eval}; or one gate per line)')
    .option('--no-config-gates', 'ignore the "gates" of sightline.json')
    .option('--no-log-predictions', 'do not log the replayed predictions in the trace')
    .option('--trace <file>', `trace file the run is stored in (default: the running daemon's, else ${DEFAULT_CI_TRACE})`)
    .option('--no-daemon', 'run in-process even when a daemon is running')
    .option('--json', 'print the report as JSON (schema: `sightline schema ReplayReport`)')
    .option('--junit <file>', 'write JUnit XML (one test case per gate)')
    .option('--sarif <file>', 'write SARIF 2.1.0 (regressions on the feature definitions)')
    .option('--markdown <file>', 'write a Markdown summary (for a pull-request comment)')
    .option('--report-root <dir>', 'paths in SARIF/Markdown are relative to this folder (default: the git repository root)')
    .option('--quiet', 'no progress output');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The RunOptions part of a request, from the flags (validated later by zod). */
export function runOptionsFrom(o: RunCliOpts, kind: 'replay' | 'eval', modelPath: string): Record<string, unknown> {
  const transform = o.transform ?? o.featuresCmd;
  const wsRoot = o.workspace ? path.resolve(o.workspace) : findWorkspaceRoot(modelPath);
  if (o.labels && !o.key) throw new SightlineError('invalid_request', '--labels FILE needs --key COL (the column both files share)');
  const gates = gateSpecs(kind, {
    flags: o.gate ?? [],
    ...(o.gates ? { file: o.gates } : {}),
    workspaceConfig: o.configGates === false || !wsRoot ? null : path.join(wsRoot, 'sightline.json'),
  });
  return {
    ...(o.workspace ? { workspace: path.resolve(o.workspace) } : {}),
    ...(transform ? { transform: { command: transform, cwd: process.cwd(), ...(o.transformTimeout ? { timeout_s: num(o.transformTimeout, '--transform-timeout') } : {}) } } : {}),
    ...(o.label ? { label: o.label } : {}),
    ...(o.labels ? { labels: { file: path.resolve(o.labels), key: o.key!, ...(o.label ? { column: o.label } : {}) } } : {}),
    ...(o.key ? { key: o.key } : {}),
    ...(o.slices !== undefined ? { slices: o.slices.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(o.threshold !== undefined ? { threshold: num(o.threshold, '--threshold') } : {}),
    ...(o.positive !== undefined ? { positive: num(o.positive, '--positive') } : {}),
    ...(o.limit !== undefined ? { limit: int(o.limit, '--limit') } : {}),
    batch_size: int(o.batchSize ?? '4096', '--batch-size'),
    concurrency: int(o.concurrency ?? '1', '--concurrency'),
    ...(o.threads !== undefined ? { threads: int(o.threads, '--threads') } : {}),
    ...(o.interThreads !== undefined ? { inter_op_threads: int(o.interThreads, '--inter-threads') } : {}),
    ...(o.provider !== undefined ? { provider: o.provider } : {}),
    latency_rows: int(o.latencyRows ?? '1000', '--latency-rows'),
    latency_batch: int(o.latencyBatch ?? '1', '--latency-batch'),
    tolerance: { abs: num(o.absTol ?? '1e-6', '--abs-tol'), rel: num(o.relTol ?? '1e-6', '--rel-tol') },
    alpha: num(o.alpha ?? '0.05', '--alpha'),
    min_label_coverage: num(o.minLabelCoverage ?? '0.9', '--min-label-coverage'),
    max_rate_ratio: num(o.maxRateRatio ?? '2', '--max-rate-ratio'),
    ...(o.baselinePositiveRate !== undefined ? { baseline_positive_rate: num(o.baselinePositiveRate, '--baseline-positive-rate') } : {}),
    max_slices: int(o.maxSlices ?? '100', '--max-slices'),
    examples: int(o.examples ?? '20', '--examples'),
    gates,
    log_predictions: o.logPredictions !== false,
  };
}

export function sliceLossOption(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!SliceLoss.options.includes(v as never)) throw new SightlineError('invalid_request', `--slice-loss must be zero_one, log_loss or abs_error, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Runs a replay or evaluation: through the running daemon when it holds the trace asked for
 * (or none is asked for), so that the editor sees the run; else in-process on `--trace`
 * (default .sightline/ci-trace.duckdb), which is what CI does.
 */
export async function runFromCli(spec: RunSpec, o: RunCliOpts): Promise<ReplayReport> {
  const printer = progressPrinter(spec.kind, Boolean(o.quiet));
  const stop = onTerminationSignal((sig) => printer.note(`${sig}: cancelling the run`));
  try {
    const daemon = o.daemon === false ? null : await findDaemon();
    if (daemon && (!o.trace || path.resolve(o.trace) === path.resolve(daemon.info.trace))) {
      printer.note(`running through the daemon (pid ${daemon.info.pid}, trace ${daemon.info.trace})`);
      const stream = await daemon.client.stream();
      try {
        stream.subscribe(['run_progress']);
        let mine: string | null = null;
        stream.onMessage((msg) => {
          if (msg.type !== 'event' || msg.event !== 'run_progress') return;
          for (const p of msg.data as RunProgress[]) {
            if (p.kind !== spec.kind) continue;
            if (p.phase === 'started' && mine === null) mine = p.run_id;
            if (mine === null || p.run_id === mine) printer.update(p);
          }
        });
        // On SIGINT/SIGTERM: ask the daemon to cancel the run (it also aborts it when this socket
        // closes, which the finally below does), and stop waiting for it.
        const cancelled = new Promise<never>((_, reject) => {
          stop.signal.addEventListener('abort', () => {
            const id = mine;
            const asked = id ? stream.query('cancel_run', { run_id: id }).catch(() => undefined) : Promise.resolve();
            void Promise.race([asked, new Promise((r) => setTimeout(r, 1000).unref())]).then(() => reject(stop.interrupted(id)));
          }, { once: true });
        });
        return ReplayReport.parse(await Promise.race([stream.query<unknown>(spec.kind, spec.req), cancelled]));
      } finally {
        stream.close();
      }
    }
    const trace = path.resolve(o.trace ?? DEFAULT_CI_TRACE);
    mkdirSync(path.dirname(trace), { recursive: true });
    const engine = await Engine.open({
      trace, provider: spec.req.provider ?? 'cpu', durable: false, flushIntervalMs: 200, maxBatchRows: 256, maxWaitMs: 2, logRaw: false, logging: true,
    });
    try {
      return await executeRun(engine, spec, { onProgress: (p) => printer.update(p), signal: stop.signal });
    } catch (err) {
      if (err instanceof RunCancelledError && stop.signal.aborted) throw stop.interrupted(err.runId);
      throw err;
    } finally {
      await engine.close();
    }
  } finally {
    stop.dispose();
    printer.stop();
  }
}

/**
 * SIGINT and SIGTERM while a run goes on (Ctrl-C, the editor's Cancel, a CI timeout): the first
 * aborts the run — it stops after the batch in flight and is stored with status `cancelled` —
 * and the command exits 130 (SIGINT) or 143 (SIGTERM), as a shell reports a process killed by
 * that signal. A second signal, or a run that has not stopped within 10 s, exits at once.
 */
export function onTerminationSignal(onFirst: (sig: NodeJS.Signals) => void): { signal: AbortSignal; interrupted: (runId: string | null) => Interrupted; dispose: () => void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const codeOf = (sig: NodeJS.Signals | null): number => (sig === 'SIGINT' ? EXIT.interrupted : EXIT.terminated);
  let timer: NodeJS.Timeout | null = null;
  const handler = (sig: NodeJS.Signals): void => {
    if (received) process.exit(codeOf(received));
    received = sig;
    onFirst(sig);
    controller.abort(`${sig} received`);
    timer = setTimeout(() => process.exit(codeOf(sig)), 10_000);
    timer.unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    interrupted: (runId) => new Interrupted(`${runId ? `run ${runId}` : 'the run'} was cancelled (${received ?? 'signal'}); it is stored with status cancelled`, codeOf(received)),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Progress on stderr: a bar while scoring (terminal), plain lines otherwise and for the other phases. */
function progressPrinter(kind: string, quiet: boolean): { update: (p: RunProgress) => void; note: (s: string) => void; stop: () => void } {
  let bar: Progress | null = null;
  let phase = '';
  const line = (s: string): void => { if (!quiet) process.stderr.write(`sightline ${kind}: ${s}\n`); };
  return {
    update(p) {
      if (quiet) return;
      if (p.phase !== phase) {
        bar?.stop();
        bar = null;
        phase = p.phase;
        if (p.phase === 'scoring') bar = progressBar(`sightline ${kind}: scoring`, p.total);
        else if (p.phase !== 'done' && p.phase !== 'failed') line(`${p.phase}${p.message ? ` ${p.message}` : ''}`);
      }
      if (bar && p.phase === 'scoring') bar.update(p.done);
    },
    note: line,
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

export interface OutputFlags {
  json?: boolean;
  junit?: string;
  sarif?: string;
  markdown?: string;
  reportRoot?: string;
}

/** Writes the requested files and prints the report (JSON or the text summary). Returns the exit code. */
export function emitReport(report: ReplayReport, o: OutputFlags): number {
  const root = o.reportRoot ? path.resolve(o.reportRoot) : repositoryRoot(process.cwd());
  const summary = formatRunSummary(report);
  if (o.junit) {
    const name = report.kind === 'replay' ? `sightline replay ${report.candidate.name}@${report.candidate.version} vs ${report.baseline ? `${report.baseline.name}@${report.baseline.version}` : '–'}` : `sightline eval ${report.candidate.name}@${report.candidate.version}`;
    writeOut(o.junit, gatesJunit(report.gates, {
      name, classname: `sightline.${report.kind}`, seconds: (Date.parse(report.ended) - Date.parse(report.started)) / 1000, timestamp: report.started,
      properties: { run_id: report.run_id, trace: report.trace ?? '', onnxruntime: report.environment.onnxruntime, execution_providers: JSON.stringify(report.environment.execution_providers) },
      output: summary,
    }));
  }
  if (o.sarif) writeOut(o.sarif, JSON.stringify(replaySarif(report, { root }), null, 2) + '\n');
  if (o.markdown) writeOut(o.markdown, replayMarkdown(report, { root }));
  if (o.json) printJson(report);
  else process.stdout.write(summary + '\n');
  return report.passed ? 0 : 1;
}

export function writeOut(file: string, text: string): void {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
}

/** The git repository root at or above `dir`, else `dir`. */
export function repositoryRoot(dir: string): string {
  let d = path.resolve(dir);
  for (;;) {
    if (existsSync(path.join(d, '.git'))) return d;
    const parent = path.dirname(d);
    if (parent === d) return path.resolve(dir);
    d = parent;
  }
}

export function num(value: unknown, flag: string): number {
  const x = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(x)) throw new SightlineError('invalid_request', `${flag} needs a number, got ${JSON.stringify(value)}`);
  return x;
}

export function int(value: unknown, flag: string): number {
  const x = num(value, flag);
  if (!Number.isInteger(x)) throw new SightlineError('invalid_request', `${flag} needs a whole number, got ${JSON.stringify(value)}`);
  return x;
}

/** zod issues as a bad-input error. */
export function requestError(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): SightlineError {
  const i = issues[0];
  return new SightlineError('invalid_request', `${i?.path.map(String).join('.') || 'options'}: ${i?.message ?? 'invalid'}`);
}
