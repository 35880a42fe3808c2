import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Log } from '../log';
import type { Launcher } from './launch';
import { readTokenFile, type TokenFile } from './token-file';

/** A daemon this extension started: the child process and what its token file says. */
export interface OwnDaemon {
  child: ChildProcess;
  info: TokenFile;
  /** Resolves with the exit code/signal once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the daemon wrote to stderr (for error messages). */
  lastLines(): string[];
}

const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * Starts `sightline serve …` and resolves once it prints `listening on http://127.0.0.1:<port>`
 * and its daemon.json names that port. Rejects (with the daemon's last lines) if it exits first,
 * doesn't listen within `timeoutMs`, or the start is cancelled.
 */
export function startDaemon(launcher: Launcher, args: string[], home: string, log: Log, timeoutMs = 120_000, signal?: AbortSignal): Promise<OwnDaemon> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  log.info(`starting daemon: ${[launcher.command, ...launcher.prefix, ...args].map(quote).join(' ')} (SIGHTLINE_HOME=${home})`);
  const child = spawn(launcher.command, [...launcher.prefix, ...args], { env: launcher.env, cwd: path.dirname(home), stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const tail: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    child.once('error', (err) => {
      tail.push(err.message);
      resolve({ code: null, signal: null });
    });
  });
  lines(child.stderr, (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    const m = /^\[(debug|info|warn|error)\]\s*(.*)$/.exec(line);
    const level = m?.[1] ?? 'info';
    const text = `daemon: ${m?.[2] ?? line}`;
    if (level === 'error') log.error(text);
    else if (level === 'warn') log.warn(text);
    else if (level === 'debug') log.debug(text);
    else log.info(text);
  });
  return new Promise<OwnDaemon>((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, port?: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(err);
        return;
      }
      try {
        const info = readTokenFile(path.join(home, 'daemon.json'));
        if (info.port !== port) throw new Error(`daemon.json names port ${info.port}, the daemon listens on ${port}`);
        resolve({ child, info, exited, lastLines: () => [...tail] });
      } catch (e) {
        child.kill('SIGTERM');
        reject(e as Error);
      }
    };
    const onAbort = (): void => finish(new Error('daemon start cancelled'));
    signal?.addEventListener('abort', onAbort);
    const timer = setTimeout(() => finish(new Error(`the daemon did not listen within ${timeoutMs / 1000} s`)), timeoutMs);
    lines(child.stdout, (line) => {
      log.debug(`daemon stdout: ${line}`);
      const m = LISTENING.exec(line);
      if (m) finish(null, Number(m[1]));
    });
    void exited.then(({ code, signal: sig }) => {
      const why = tail.filter((l) => l.trim()).slice(-3).join(' · ') || 'no output';
      finish(new Error(`the daemon exited (${sig ?? `code ${code}`}) before listening: ${why}`));
    });
  });
}

/** Asks the daemon to stop (SIGTERM: it commits queued predictions) and kills it if it lingers. */
export async function stopDaemon(d: OwnDaemon, graceMs = 4000): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  d.child.kill('SIGTERM');
  const timer = setTimeout(() => d.child.kill('SIGKILL'), graceMs);
  await d.exited;
  clearTimeout(timer);
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      if (line.length > 0) onLine(line);
    }
  });
}

function quote(s: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
