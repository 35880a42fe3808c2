import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, SAMPLE } from './daemon';

/** Any python3 ≥ 3.9 will do: the client and its lineage SDK are standard library only. */
export const PYTHON = process.env.PYTHON ?? 'python3';
export const PY_CLIENT = path.join(ROOT, 'clients', 'python');
const PIPELINE = path.join(PY_CLIENT, 'tests', 'lineage_pipeline.py');

export function runPython(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, PYTHONPATH: PY_CLIENT, PYTHONDONTWRITEBYTECODE: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.once('error', (err) => reject(new Error(`cannot run ${PYTHON} (set $PYTHON to a python3 ≥ 3.9): ${err.message}`)));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function git(repo: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Sightline Test', '-c', 'user.email=test@sightline.invalid', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], {
    cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: repo },
  }).trim();
}

export interface PipelineRepo {
  repo: string;
  commit: string;
  script: string;
}

/**
 * A throwaway git repository holding the lineage pipeline (pipeline/flights_pipeline.py) and its
 * raw data (data/raw/airports.json: the sample's real airport table), committed.
 */
export function makePipelineRepo(parent = mkdtempSync(path.join(os.tmpdir(), 'sightline-lineage-'))): PipelineRepo {
  const repo = path.join(parent, 'repo');
  mkdirSync(path.join(repo, 'pipeline'), { recursive: true });
  mkdirSync(path.join(repo, 'data', 'raw'), { recursive: true });
  copyFileSync(PIPELINE, path.join(repo, 'pipeline', 'flights_pipeline.py'));
  copyFileSync(path.join(SAMPLE, 'airports.json'), path.join(repo, 'data', 'raw', 'airports.json'));
  git(repo, ['init', '-q']);
  git(repo, ['add', 'pipeline', 'data']);
  git(repo, ['commit', '-q', '-m', 'pipeline']);
  return { repo, commit: git(repo, ['rev-parse', 'HEAD']), script: path.join(repo, 'pipeline', 'flights_pipeline.py') };
}

export interface PipelineResult {
  runs: { clean: string; features: string; train: string[] };
  deliveries: Record<string, string>;
  models: string[];
  hashes: Record<string, string>;
}

/** Runs the pipeline with `home` as $SIGHTLINE_HOME; `models` are the ONNX files "trained". */
export async function runPipeline(p: PipelineRepo, home: string, models: string[]): Promise<{ result: PipelineResult; stderr: string }> {
  const run = await runPython([p.script, ...models], { cwd: p.repo, env: { SIGHTLINE_HOME: home } });
  if (run.code !== 0) throw new Error(`pipeline failed (${run.code}):\n${run.stderr}`);
  return { result: JSON.parse(run.stdout) as PipelineResult, stderr: run.stderr };
}
