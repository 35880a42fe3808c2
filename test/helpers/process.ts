import { spawn, type SpawnOptions } from 'node:child_process';

export interface Finished {
  /** Exit code; null when killed by a signal (the time limit included). */
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion without blocking the event loop. Test helpers must not use
 * spawnSync for work that can take a minute (the demo, packaging, installing into code-server):
 * vitest's worker answers its runner over RPC with a fixed 60 s timeout, and a worker blocked that
 * long fails the whole run with `Timeout calling "onTaskUpdate"` although every test passed (seen
 * on a fresh clone, where the first test to need the demo trace builds it).
 */
export function runToEnd(command: string, args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<Finished> {
  const { timeoutMs, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : null;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      if (timer) clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
