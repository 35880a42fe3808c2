import path from 'node:path';
import * as vscode from 'vscode';
import type { DaemonConnection } from '../connection';
import { describeError, type Log } from '../log';
import type { Settings } from '../settings';
import { CrashPolicy, DEFAULT_CRASH_POLICY, type CrashPolicyOptions } from './crash-policy';
import { startDaemon, stopDaemon, type OwnDaemon } from './daemon-process';
import { cliLauncher, serveArgs, type DaemonTarget, type Launcher } from './launch';
import { processAlive, readTokenFile, tokenFilePath } from './token-file';

/** A live connection to a daemon, started by us (`own`) or found through a token file (`attached`). */
export interface DaemonSession {
  mode: 'own' | 'attached';
  port: number;
  token: string;
  pid: number;
  trace: string;
  readOnly: boolean;
  version: string;
  /** The token file this session came from (attached) or wrote (own). */
  tokenFile: string;
  connection: DaemonConnection;
}

export type DaemonState =
  | { kind: 'idle'; reason: string }
  | { kind: 'starting'; attempt: number }
  | { kind: 'connected'; session: DaemonSession }
  | { kind: 'reconnecting'; attempt: number; retryAt: number; lastError: string }
  | { kind: 'failed'; lastError: string; crashes: number };

export interface SupervisorOptions {
  log: Log;
  /** `dist/sightline.js` inside the extension. */
  bundledScript: string;
  /** This workspace's SIGHTLINE_HOME (under the extension's global storage). */
  home: string;
  settings: () => Settings;
  /** What to serve now, or why nothing (no sightline.json, untrusted without a trace, …). */
  target: () => DaemonTarget | { none: string };
  /** The workspace is untrusted: every session is treated as read-only. */
  untrusted: () => boolean;
  crashPolicy?: CrashPolicyOptions;
}

/**
 * Keeps one daemon connection alive: starts the bundled daemon (or attaches to a running one),
 * notices when it dies (process exit or socket close), retries with exponential backoff, and gives
 * up after repeated crashes in a short time, offering a restart. Every start/stop bumps a
 * generation number, so work begun for an older attempt never touches the current one.
 */
export class DaemonSupervisor implements vscode.Disposable {
  private readonly stateEmitter = new vscode.EventEmitter<DaemonState>();
  private readonly eventEmitter = new vscode.EventEmitter<{ event: string; data: unknown[] }>();
  /** Fires on every state change. */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Daemon events (prediction, model, finding, run_progress, label) of the current connection. */
  readonly onEvent = this.eventEmitter.event;
  private current: DaemonState = { kind: 'idle', reason: 'not started' };
  private generation = 0;
  private own: OwnDaemon | undefined;
  private connection: DaemonConnection | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly policy: CrashPolicy;
  private disposed = false;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = new CrashPolicy(options.crashPolicy ?? DEFAULT_CRASH_POLICY);
  }

  get state(): DaemonState {
    return this.current;
  }

  get session(): DaemonSession | undefined {
    return this.current.kind === 'connected' ? this.current.session : undefined;
  }

  get home(): string {
    return this.options.home;
  }

  /** How to run the CLI so that it finds this daemon (same SIGHTLINE_HOME). */
  launcher(): Launcher {
    const s = this.options.settings();
    const home = this.session?.mode === 'attached' ? path.dirname(this.session.tokenFile) : this.options.home;
    return cliLauncher(this.options.bundledScript, s.daemonPath, home);
  }

  /** Starts (or attaches) unless already connected or on the way. */
  start(): void {
    if (this.current.kind === 'connected' || this.current.kind === 'starting') return;
    void this.restart();
  }

  /** Stops what runs now, forgets past crashes, and starts again. */
  async restart(): Promise<void> {
    const gen = ++this.generation;
    this.policy.reset();
    await this.teardown({ killShared: true });
    if (gen !== this.generation) return;
    await this.connect(gen, 1);
  }

  /** Stops the daemon and stays idle. */
  async stop(reason = 'stopped'): Promise<void> {
    ++this.generation;
    await this.teardown({ killShared: false });
    this.setState({ kind: 'idle', reason });
  }

  private async connect(gen: number, attempt: number): Promise<void> {
    this.setState({ kind: 'starting', attempt });
    try {
      const session = await this.open(gen);
      if (!session) return;
      if (gen !== this.generation || this.disposed) {
        session.connection.dispose();
        return;
      }
      this.policy.connected();
      this.options.log.info(`connected to ${session.mode === 'own' ? 'our' : 'a running'} daemon pid ${session.pid} on 127.0.0.1:${session.port} (Sightline ${session.version}), trace ${session.trace}${session.readOnly ? ' (read-only)' : ''}`);
      this.setState({ kind: 'connected', session });
    } catch (err) {
      if (gen !== this.generation) return;
      this.options.log.error(`daemon: ${describeError(err)}`);
      await this.lost(gen, describeError(err));
    }
  }

  /** Attaches (setting, or a daemon another window of this workspace runs) or starts our own. */
  private async open(gen: number): Promise<DaemonSession | undefined> {
    const settings = this.options.settings();
    const { DaemonConnection } = await import('../connection');
    if (settings.attach) {
      const file = tokenFilePath(settings.attach);
      return this.attach(file, DaemonConnection, gen);
    }
    // A daemon of this workspace that is already running (another window, or one left behind).
    const shared = path.join(this.options.home, 'daemon.json');
    try {
      const info = readTokenFile(shared);
      if (processAlive(info.pid)) {
        const session = await this.attach(shared, DaemonConnection, gen);
        this.options.log.info(`another window's daemon (pid ${info.pid}) serves this workspace: attached to it`);
        return session;
      }
    } catch {
      /* none running: start ours */
    }
    const target = this.options.target();
    if ('none' in target) {
      this.setState({ kind: 'idle', reason: target.none });
      return undefined;
    }
    const untrusted = this.options.untrusted();
    const t: DaemonTarget = untrusted ? { ...target, readOnly: true, models: [] } : target;
    const own = await startDaemon(cliLauncher(this.options.bundledScript, settings.daemonPath, this.options.home), serveArgs(t, settings.provider, settings.daemonArgs), this.options.home, this.options.log);
    if (gen !== this.generation) {
      await stopDaemon(own);
      return undefined;
    }
    this.own = own;
    void own.exited.then(({ code, signal }) => {
      if (this.own !== own) return;
      const why = `the daemon (pid ${own.info.pid}) exited${signal ? ` on ${signal}` : ` with code ${code}`}`;
      this.options.log.warn(`${why}${own.lastLines().length ? `; last output: ${own.lastLines().slice(-3).join(' · ')}` : ''}`);
      if (gen === this.generation) void this.lost(gen, why);
    });
    const connection = await DaemonConnection.open(own.info.port, own.info.token);
    this.watch(connection, gen);
    return {
      mode: 'own', port: own.info.port, token: own.info.token, pid: own.info.pid, trace: own.info.trace || t.trace, readOnly: t.readOnly || untrusted,
      version: connection.version, tokenFile: shared, connection,
    };
  }

  private async attach(file: string, Conn: typeof DaemonConnection, gen: number): Promise<DaemonSession> {
    const info = readTokenFile(file);
    if (!processAlive(info.pid)) throw new Error(`the daemon in ${file} (pid ${info.pid}) is not running`);
    const connection = await Conn.open(info.port, info.token);
    this.watch(connection, gen);
    const health = await connection.http.health();
    return {
      mode: 'attached', port: info.port, token: info.token, pid: info.pid, trace: health.trace || info.trace,
      // Someone else's daemon decides what it runs; an untrusted workspace runs nothing through it.
      readOnly: this.options.untrusted(),
      version: connection.version, tokenFile: file, connection,
    };
  }

  private watch(connection: DaemonConnection, gen: number): void {
    this.connection = connection;
    connection.onEvent((e) => this.eventEmitter.fire(e));
    connection.onClose(() => {
      if (this.connection !== connection || gen !== this.generation) return;
      // A dying daemon closes the socket a moment before its exit is reported: let exit win.
      setTimeout(() => {
        if (this.connection === connection && gen === this.generation) void this.lost(gen, 'the connection to the daemon closed');
      }, 300);
    });
  }

  /** The daemon died or could not start: back off and retry, or give up after too many crashes. */
  private async lost(gen: number, why: string): Promise<void> {
    if (gen !== this.generation || this.disposed) return;
    const next = ++this.generation;
    await this.teardown({ killShared: false });
    if (next !== this.generation) return;
    const verdict = this.policy.crashed(Date.now());
    if (verdict.giveUp) {
      this.options.log.error(`daemon: ${verdict.crashes} failures within ${(this.options.crashPolicy ?? DEFAULT_CRASH_POLICY).windowMs / 60_000} min; not restarting it again (last: ${why})`);
      this.setState({ kind: 'failed', lastError: why, crashes: verdict.crashes });
      void vscode.window.showErrorMessage(`Sightline: the daemon failed ${verdict.crashes} times in a short time and is no longer restarted. Last error: ${why}`, 'Restart Daemon', 'Show Logs').then((pick) => {
        if (pick === 'Restart Daemon') void vscode.commands.executeCommand('sightline.restartDaemon');
        else if (pick === 'Show Logs') void vscode.commands.executeCommand('sightline.showLogs');
      });
      return;
    }
    this.options.log.warn(`daemon: ${why}; reconnecting in ${verdict.delayMs / 1000} s (attempt ${verdict.attempt})`);
    this.setState({ kind: 'reconnecting', attempt: verdict.attempt, retryAt: Date.now() + verdict.delayMs, lastError: why });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (next === this.generation) void this.connect(next, verdict.attempt + 1);
    }, verdict.delayMs);
  }

  /** Closes the connection and stops our daemon; with `killShared`, also a leftover daemon of this workspace. */
  private async teardown(opts: { killShared: boolean }): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const session = this.session;
    this.connection?.dispose();
    this.connection = undefined;
    const own = this.own;
    this.own = undefined;
    if (own) await stopDaemon(own);
    else if (opts.killShared && session?.mode === 'attached' && path.dirname(session.tokenFile) === this.options.home) {
      // A daemon of this workspace left by another window or an earlier session: restart means a fresh one.
      this.options.log.info(`stopping the daemon pid ${session.pid} of this workspace to restart it`);
      try {
        process.kill(session.pid, 'SIGTERM');
      } catch {
        /* gone already */
      }
      for (let i = 0; i < 50 && processAlive(session.pid); i++) await new Promise((r) => setTimeout(r, 100));
    }
  }

  private setState(state: DaemonState): void {
    this.current = state;
    if (!this.disposed) this.stateEmitter.fire(state);
  }

  /** Stops our daemon (awaited by deactivate, so queued predictions are committed). */
  async shutdown(): Promise<void> {
    ++this.generation;
    this.disposed = true;
    await this.teardown({ killShared: false });
  }

  dispose(): void {
    void this.shutdown();
    this.stateEmitter.dispose();
    this.eventEmitter.dispose();
  }
}
