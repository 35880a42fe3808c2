import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SightlineClient } from '../../clients/typescript/client';
import type { DaemonInfo } from '../../protocol';
import { daemonProcess } from '../../daemon/server/process-options';
import { readDaemonInfo } from '../../daemon/server/state-file';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'sightline.js');
export const SAMPLE = path.join(ROOT, 'samples', 'flights');
export const MODEL_V1 = path.join(SAMPLE, 'models', 'flights-delay-v1.onnx');
export const MODEL_V2 = path.join(SAMPLE, 'models', 'flights-delay-v2.onnx');

export interface RunningDaemon {
  info: DaemonInfo;
  client: SightlineClient;
  process: ChildProcess;
  home: string;
  trace: string;
  dir: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM and wait for a clean exit (the trace is committed and closed). */
  stop: () => Promise<number | null>;
  /** SIGKILL: no chance to flush. */
  kill: () => Promise<void>;
  cleanup: () => void;
}

/**
 * Starts the real, built daemon (`bin/sightline.js serve`) on an ephemeral loopback port with
 * its own $SIGHTLINE_HOME and trace file in a temp folder; resolves once it prints
 * `listening on …` and daemon.json is written.
 */
export async function startDaemon(args: string[] = [], opts: { trace?: string; dir?: string } = {}): Promise<RunningDaemon> {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'sightline-test-'));
  const home = path.join(dir, 'home');
  const trace = opts.trace ?? path.join(dir, 'trace.duckdb');
  // SIGHTLINE_DAEMON_WRAPPER="heaptrack -o /tmp/ht" runs the daemon under a profiler (diagnosing the soak).
  const wrapper = (process.env.SIGHTLINE_DAEMON_WRAPPER ?? '').split(' ').filter(Boolean);
  const proc = daemonProcess(CLI, ['serve', '--trace', trace, '--port', '0', ...args], { ...process.env, SIGHTLINE_HOME: home });
  const command = [...wrapper, proc.command, ...proc.args];
  const child = spawn(command[0]!, command.slice(1), { env: proc.env, stdio: ['ignore', 'pipe', 'pipe'] });
  // A test that times out or a worker that exits must not leave a daemon running behind it.
  const reap = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start in 60 s\nstdout: ${out}\nstderr: ${err}`)), 60_000);
    child.stdout!.on('data', () => {
      if (/listening on http:\/\/127\.0\.0\.1:\d+/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before listening\nstderr: ${err}`));
    });
  });
  const info = readDaemonInfo(home);
  if (!info) throw new Error('daemon.json missing after start');
  return {
    info,
    client: new SightlineClient(info),
    process: child,
    home,
    trace,
    dir,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    // 'close', not 'exit': the child's last writes to its pipes can arrive after 'exit' (seen under
    // CI load: exit 2 with an empty stderr).
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
