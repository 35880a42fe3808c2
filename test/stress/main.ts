/**
 * `npm run stress`: the long robustness runs, against the built daemon (bin/sightline.js).
 *
 *   node dist/stress/stress.js [fuzz] [kill] [soak] [--mutations 100000] [--seed N] [--only http,raw,ws]
 *                              [--cycles 20] [--minutes 10] [--json FILE]
 *
 * With no step named, all three run: 100 000 protocol-fuzzer mutations, 20 SIGKILLs under load
 * in durable mode, and a 10-minute soak (RSS growth after warm-up < 10 %). Prints one line of
 * figures per step, writes them all to test-results/stress.json, exits 1 when a step fails.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODEL_V1, ROOT, startDaemon } from '../helpers/daemon';
import { sampleRecords } from '../helpers/sample';
import { featuresOf, project } from '../helpers/wire';
import { memoryFlat, runFuzz, summarize, type FuzzReport } from './fuzz';
import { runKillCycles, type KillCyclesReport } from './kill-cycles';
import { runSoak, summarizeSoak, type SoakReport } from './soak';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`stress: --${name} needs a positive number`);
    process.exit(2);
  }
  return v;
}

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function fuzzStep(): Promise<{ ok: boolean; report: FuzzReport }> {
  const mutations = option('mutations', 100_000);
  const seed = option('seed', 20_240_601);
  const d = await startDaemon(['--model', MODEL_V1, '--max-body', String(128 * 1024), '--flush-interval', '100']);
  try {
    const record = project((await sampleRecords(1)).records, await featuresOf(d, 'flights-delay'))[0]!;
    log(`fuzz: ${mutations} mutations, seed ${seed}, daemon pid ${d.info.pid}`);
    const only = process.argv.indexOf('--only');
    const kinds = only >= 0 ? (process.argv[only + 1] ?? '').split(',').filter((k): k is 'http' | 'raw' | 'ws' => ['http', 'raw', 'ws'].includes(k)) : undefined;
    const report = await runFuzz({ port: d.info.port, token: d.info.token, pid: d.info.pid }, {
      mutations, seed, timeBudgetMs: 3_600_000, record, model: 'flights-delay', onnx: MODEL_V1, concurrency: 8, log, ...(kinds?.length ? { kinds } : {}),
    });
    const flat = memoryFlat(report);
    const stopped = await d.stop();
    const ok = report.problems.length === 0 && report.alive && report.sent === mutations && flat.ok && stopped === 0;
    log(summarize(report));
    for (const p of report.problems.slice(0, 30)) log(`  problem: ${p}`);
    log(`fuzz: RSS growth over the second half ${flat.growthMb.toFixed(0)} MB (bound ${flat.boundMb.toFixed(0)} MB); clean stop: ${stopped === 0} → ${ok ? 'PASS' : 'FAIL'}`);
    return { ok, report };
  } finally {
    await d.kill();
    if (process.env.SIGHTLINE_STRESS_KEEP) log(`fuzz: trace kept in ${d.trace}`);
    else d.cleanup();
  }
}

async function killStep(): Promise<{ ok: boolean; report: KillCyclesReport }> {
  const cycles = option('cycles', 20);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-stress-kill-'));
  try {
    log(`kill: ${cycles} SIGKILLs under load (--durable)`);
    const report = await runKillCycles({ cycles, trace: path.join(dir, 'trace.duckdb'), dir, seed: option('seed', 20_240_601), log });
    const ok = report.missing.length === 0 && report.duplicates === 0 && report.incompleteRows === 0 && report.rowsInFile >= report.acknowledged && report.cycles.length === cycles;
    log(`kill: ${cycles} cycles, ${report.acknowledged} acknowledged, ${report.rowsInFile} rows in the file, ${report.missing.length} acknowledged missing, ${report.duplicates} duplicates, ${report.incompleteRows} incomplete rows → ${ok ? 'PASS' : 'FAIL'}`);
    return { ok, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function soakStep(): Promise<{ ok: boolean; report: SoakReport }> {
  const minutes = option('minutes', 10);
  log(`soak: ${minutes} min of steady load`);
  const report = await runSoak({ minutes, log });
  log(summarizeSoak(report));
  log(`soak: RSS samples (s → MB): ${report.samples.map((s) => `${s.t}:${s.rssMb}`).join(' ')}`);
  return { ok: report.passed, report };
}

async function main(): Promise<void> {
  const known = ['fuzz', 'kill', 'soak'];
  const steps = process.argv.slice(2).filter((a) => known.includes(a));
  const run = steps.length > 0 ? steps : known;
  const results: Record<string, { ok: boolean; report: unknown }> = {};
  for (const step of run) {
    try {
      results[step] = step === 'fuzz' ? await fuzzStep() : step === 'kill' ? await killStep() : await soakStep();
    } catch (err) {
      log(`${step}: crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      results[step] = { ok: false, report: String(err) };
    }
  }
  const out = (() => {
    const i = process.argv.indexOf('--json');
    return i >= 0 ? process.argv[i + 1]! : path.join(ROOT, 'test-results', 'stress.json');
  })();
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, results }, null, 2));
  const failed = Object.entries(results).filter(([, r]) => !r.ok).map(([k]) => k);
  log(`stress: ${run.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (${failed.join(', ')})` : ''}; figures in ${path.relative(process.cwd(), out)}`);
  process.exit(failed.length ? 1 : 0);
}

void main();
