/**
 * `npm run bench` (after the daemon bench) — replay throughput against raw onnxruntime-node,
 * measured in the same run on the same rows (absolute numbers vary by machine; the ratio travels).
 * Issue #7's target: replay throughput (rows/s, both models) ≥ 0.8× raw batched inference of the
 * same rows. Three ratios are printed against it; the target is judged on (a), the rows per second
 * through both models inside a replay, which is what "replay throughput vs raw inference" measures.
 * (c) and (b) show what a user waits for around it:
 *
 *   raw:    both sample models (v1, v2), the same rows already in memory as per-feature columns,
 *           batches of BATCH rows: build the input tensors, `session.run`, read the probability —
 *           one model after the other, nothing else (no reading, no writing: it favours raw);
 *   (a) scoring only: ReplayReport.throughput, timed inside scoreAll (stream the prepared
 *           columns from DuckDB, build tensors, both models, collect the scores) against raw at
 *           its fastest setting (the one with the best median over the rounds). It leaves out
 *           reading the traffic, building the input tables, writing the scores and the analyses;
 *   (b) end to end: the wall clock of the whole `executeRun` of a replay (v2 against v1) on a
 *           Parquet file of the same feature rows — read the traffic, build the input tables,
 *           score, write the scores, log the replayed predictions, every analysis, gates, the
 *           completed run row — as `sightline replay` runs it by default, less the latency pass
 *           (a separate measurement that re-runs rows in small timed calls), against raw at the
 *           replay's own thread setting, with where its time goes, phase by phase;
 *   (c) read to stored scores: (b)'s phases from reading the traffic to the written scores (no
 *           logging of replayed predictions, no analyses), against the same raw figure.
 *
 * Both sides run on the CPU provider. Replay runs in its default configuration (no `threads` in
 * the request: one intra-op thread fewer than the cores, at least one — see daemon/replay/models.ts)
 * unless BENCH_THREADS names a count for both sides. Raw onnxruntime-node is timed each round with
 * one intra-op thread, with onnxruntime's default pool and with the replay's count.
 * Throughput is reported per second of wall clock, and for (a) also per second of the process's
 * CPU time (a shared machine's load moves wall clock a lot; CPU time much less).
 * Rows: BENCH_REPLAY_ROWS (default 60 000, the sample's captured traffic); raw and replay runs
 * alternate BENCH_REPEAT (5) times and the medians are compared (a shared machine is noisy).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ReplayRequest } from '../../protocol';
import { Engine } from '../../daemon/engine';
import { defaultRunThreads } from '../../daemon/replay/models';
import { executeRun } from '../../daemon/replay/run';
import { literal } from '../../daemon/store/sql';
import { computeFeatures, FEATURE_NAMES, type RawFlight } from '../../samples/flights/serving/features';

const ROOT = process.cwd();
const SAMPLE = path.join(ROOT, 'samples', 'flights');
const MODELS = ['v1', 'v2'].map((v) => path.join(SAMPLE, 'models', `flights-delay-${v}.onnx`));
const ROWS = Number(process.env.BENCH_REPLAY_ROWS ?? 60_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const BATCH = Number(process.env.BENCH_REPLAY_BATCH ?? 4096);
/** onnxruntime intra-op threads of both sides when set (0 = onnxruntime's default); unset: replay's default, raw's best. */
const THREADS = process.env.BENCH_THREADS === undefined ? null : Number(process.env.BENCH_THREADS);
/** The replay's own default (what a run without `threads` gets). */
const REPLAY_THREADS = THREADS ?? defaultRunThreads();
/** Raw settings tried each round (0 = onnxruntime's default); the one with the best median counts for (a). */
const RAW_THREADS = THREADS !== null ? [THREADS] : [...new Set([1, 0, REPLAY_THREADS])];
const STRING_FEATURES = new Set(['day_of_week', 'origin', 'destination']);

interface Columns {
  n: number;
  cols: Map<string, (number | string)[]>;
}

/** The captured traffic through the serving feature code, as columns and as a Parquet file. */
async function prepare(dir: string): Promise<{ data: Columns; file: string }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const rows = (await c.runAndReadAll(`SELECT flight_id, date, origin, destination, distance FROM read_parquet(${literal(path.join(SAMPLE, 'traffic', 'requests.parquet'))}) ORDER BY flight_id LIMIT ${ROWS}`)).getRowObjectsJS();
  const cols = new Map<string, (number | string)[]>(FEATURE_NAMES.map((f) => [f, []]));
  const keys: string[] = [];
  for (const r of rows) {
    const f = computeFeatures({ ...(r as unknown as RawFlight), distance: Number(r.distance) });
    for (const name of FEATURE_NAMES) cols.get(name)!.push(f[name]);
    keys.push(String(r.flight_id));
  }
  const file = path.join(dir, 'features.parquet');
  const lines = keys.map((k, i) => JSON.stringify({ flight_id: k, ...Object.fromEntries(FEATURE_NAMES.map((f) => [f, cols.get(f)![i]])) })).join('\n');
  const jsonl = path.join(dir, 'features.jsonl');
  writeFileSync(jsonl, lines + '\n');
  await c.run(`COPY (SELECT * FROM read_json(${literal(jsonl)}, format = 'newline_delimited')) TO ${literal(file)} (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
  return { data: { n: rows.length, cols }, file };
}

/** Raw onnxruntime-node: tensors from in-memory columns, batches in sequence, one model after the other. */
async function raw(data: Columns, threads: number): Promise<Figures> {
  const sessions = await Promise.all(MODELS.map((m) => ort.InferenceSession.create(readFileSync(m), { graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) })));
  // Warm-up.
  for (const s of sessions) await s.run(feeds(data, 0, Math.min(BATCH, data.n)));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let checksum = 0;
  for (const s of sessions) {
    for (let off = 0; off < data.n; off += BATCH) {
      const n = Math.min(BATCH, data.n - off);
      const out = await s.run(feeds(data, off, n));
      const p = out.probability!.data as Float32Array;
      checksum += p[0]!;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(process.cpuUsage(c0));
  for (const s of sessions) await s.release();
  if (!Number.isFinite(checksum)) throw new Error('raw inference produced a non-finite score');
  return { wall: (2 * data.n) / seconds, cpu: (2 * data.n) / cpu, threads };
}

/** Raw at each of its settings, in one round. */
async function rawAll(data: Columns): Promise<Figures[]> {
  const out: Figures[] = [];
  for (const t of RAW_THREADS) out.push(await raw(data, t));
  return out;
}

/** Model rows per second of wall clock, and per second of this process's CPU time (all its threads). */
interface Figures {
  wall: number;
  cpu: number;
  /** Intra-op threads it ran with (0 = onnxruntime's default). */
  threads: number;
}

function cpuSeconds(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1e6;
}

function feeds(data: Columns, off: number, n: number): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const f of FEATURE_NAMES) {
    const col = data.cols.get(f)!.slice(off, off + n);
    out[f] = STRING_FEATURES.has(f) ? new ort.Tensor('string', col as string[], [n, 1]) : new ort.Tensor('float32', Float32Array.from(col as number[]), [n, 1]);
  }
  return out;
}

/** The phases of a replay as its progress events delimit them, in the order they run. */
const PHASES = ['load models, store the run row', 'read traffic, build the input tables', 'score (tensors + inference)', 'write scores (sl_scores)', 'log replayed predictions', 'analyses: flips, output differences', 'analyses: slice regressions', 'analyses: metrics overall and per slice', 'analyses: prediction drift', 'analyses: label sanity', 'gates, report, complete the run row'] as const;

interface ReplayFigures extends Figures {
  /** End to end: both models' rows over the wall clock of the whole `executeRun`, and the seconds it took. */
  total: number;
  seconds: number;
  /** Seconds per phase (PHASES order). */
  phases: number[];
}

async function replay(file: string, dir: string, i: number): Promise<ReplayFigures> {
  const engine = await Engine.open({ trace: path.join(dir, `bench-${i}.duckdb`), provider: 'cpu', durable: false, flushIntervalMs: 200, maxBatchRows: 256, maxWaitMs: 2, logRaw: false, logging: true });
  try {
    let c0: NodeJS.CpuUsage | null = null;
    let cpu = 0;
    // Phase boundaries: the time of the progress event that opens each phase.
    const marks = new Map<number, number>();
    const mark = (k: number): void => { if (!marks.has(k)) marks.set(k, performance.now()); };
    const t0 = performance.now();
    const report = await executeRun(engine, {
      kind: 'replay',
      // The run as `sightline replay` does it by default (the card's slice attributes, the
      // replayed predictions logged in the trace, every analysis), less the latency pass: that
      // re-runs rows in small timed calls, a separate measurement rather than throughput.
      req: ReplayRequest.parse({ traffic: file, candidate: MODELS[1], baseline: MODELS[0], batch_size: BATCH, latency_rows: 0, workspace: SAMPLE, ...(THREADS !== null && THREADS > 0 ? { threads: THREADS } : {}) }),
    }, {
      // The bulk pass (ReplayReport.throughput) runs from the end of reading to the last scored batch.
      onProgress: (p) => {
        if (p.phase === 'reading' && p.done === 0) mark(1);
        if (p.phase === 'reading' && p.done === p.total) { mark(2); c0 = process.cpuUsage(); }
        if (p.phase === 'scoring' && p.done === p.total) { mark(3); if (c0) cpu = cpuSeconds(process.cpuUsage(c0)); }
        if (p.phase === 'storing' && p.done === 0) mark(4);
        if (p.phase === 'analysing') { if (p.done === 0) { mark(4); mark(5); } else mark(5 + p.done); }
      },
    });
    const t1 = performance.now();
    const seconds = (t1 - t0) / 1000;
    const at = (k: number): number => marks.get(k) ?? (k === 0 ? t0 : k > 10 ? t1 : at(k + 1));
    const phases = PHASES.map((_, k) => Math.max(0, (at(k + 1) - (k === 0 ? t0 : at(k))) / 1000));
    const rows = 2 * report.traffic.rows;
    return { wall: report.throughput!.rows_per_s, cpu: cpu > 0 ? rows / cpu : 0, threads: report.environment.intra_op_threads ?? 0, total: rows / seconds, seconds, phases };
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-replay-bench-'));
  try {
    process.stdout.write(`\nSightline replay bench — ${os.cpus().length} cores, node ${process.version}, onnxruntime-node ${ort.env.versions.node}, cpu provider\n\n`);
    const { data, file } = await prepare(dir);
    // Alternate raw and replay runs so that both see the same machine load; compare medians.
    const raws: Figures[][] = [];
    const runs: ReplayFigures[] = [];
    // Warm-up of both (JIT, onnxruntime's first runs, DuckDB's caches); not counted.
    await rawAll(data);
    await replay(file, dir, REPEAT);
    for (let i = 0; i < REPEAT; i++) {
      raws.push(await rawAll(data));
      runs.push(await replay(file, dir, i));
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const k = (x: number): string => `${Math.round(x / 1000)}k`;
    const line = (label: string, value: string, note = ''): void => { process.stdout.write(`${label.padEnd(50)} ${value.padStart(16)}  ${note}\n`); };
    const threads = (t: number): string => (t ? `${t} thread${t > 1 ? 's' : ''}` : 'ort default');
    const verdict = (ratio: number): string => `${ratio.toFixed(2)}× raw (target ≥ 0.8×) ${ratio >= 0.8 ? 'OK' : 'BELOW TARGET'}`;
    const replayThreads = runs[0]!.threads;
    // Raw's fastest setting: the one with the best median over the rounds, then its own runs.
    // (Not the best of each round: the maximum of three noisy runs is biased upward against
    // the replay's one run a round.)
    const rawSetting = RAW_THREADS.reduce((a, b) => (median(raws.map((round) => round.find((f) => f.threads === b)!.wall)) > median(raws.map((round) => round.find((f) => f.threads === a)!.wall)) ? b : a));
    const best = raws.map((round) => round.find((f) => f.threads === rawSetting)!);
    const same = raws.map((round) => round.find((f) => f.threads === replayThreads) ?? round[0]!);
    const setting = `replay: ${threads(replayThreads)} per session${THREADS ? ' (BENCH_THREADS)' : ' (its default configuration)'}; raw: ${RAW_THREADS.length > 1 ? `${RAW_THREADS.map(threads).join(' / ')} each round` : threads(RAW_THREADS[0]!)}`;
    process.stdout.write(`4. replay throughput (${data.n} rows × 2 models, batches of ${BATCH}, median of ${REPEAT} alternating runs)\n   ${setting}\n`);

    process.stdout.write(`\n   (a) scoring only — ReplayReport.throughput (the bulk pass inside scoreAll) vs raw at its fastest setting (${threads(rawSetting)}: best median of ${RAW_THREADS.map(threads).join(' / ')})\n`);
    for (const [what, pick] of [['wall clock', (f: Figures) => f.wall], ['CPU time', (f: Figures) => f.cpu]] as const) {
      const r = median(best.map(pick));
      const p = median(runs.map(pick));
      line(`   raw onnxruntime-node (${what})`, `${Math.round(r)} rows/s`, `runs ${best.map((x) => k(pick(x))).join(', ')}`);
      line(`   replay scoring only (${what})`, `${Math.round(p)} rows/s`, `${verdict(p / r)}; runs ${runs.map((x) => k(pick(x))).join(', ')}`);
    }

    const rawSame = median(same.map((f) => f.wall));
    const e2e = median(runs.map((r) => r.total));
    const e2eRatio = e2e / rawSame;
    process.stdout.write(`\n   (b) end to end — wall clock of the whole replay (reading the traffic … the stored run) vs raw at the replay's thread setting (${threads(replayThreads)})\n`);
    line('   raw onnxruntime-node (wall clock)', `${Math.round(rawSame)} rows/s`, `${(2 * data.n / rawSame).toFixed(2)} s; runs ${same.map((x) => k(x.wall)).join(', ')}`);
    line('   replay end to end (wall clock)', `${Math.round(e2e)} rows/s`, `${median(runs.map((r) => r.seconds)).toFixed(2)} s; ${verdict(e2eRatio)}; runs ${runs.map((x) => k(x.total)).join(', ')}`);
    process.stdout.write('   where the replay\'s time goes (median s per phase):\n');
    PHASES.forEach((name, i) => line(`     ${name}`, `${median(runs.map((r) => r.phases[i]!)).toFixed(3)} s`));
    const pipeline = median(runs.map((r) => r.phases[1]! + r.phases[2]! + r.phases[3]!));
    const pipelineRatio = (2 * data.n / pipeline) / rawSame;
    process.stdout.write(`\n   (c) read to stored scores — ${PHASES.slice(1, 4).join(', ')}\n`);
    line('   replay read → scores (wall clock)', `${Math.round(2 * data.n / pipeline)} rows/s`, `${pipeline.toFixed(2)} s; ${verdict(pipelineRatio)}`);
    const scoring = median(runs.map((r) => r.wall)) / median(best.map((f) => f.wall));
    process.stdout.write(`\n   Target (replay throughput through both models ≥ 0.8× raw) is judged on (a), wall clock: ${scoring >= 0.8 ? 'MET' : 'NOT MET'} (${scoring.toFixed(2)}×).\n`);
    process.stdout.write(`   Around it: read → stored scores ${pipelineRatio.toFixed(2)}×, the whole run with logging and analyses ${e2eRatio.toFixed(2)}× (see the phases above).\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`replay bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
