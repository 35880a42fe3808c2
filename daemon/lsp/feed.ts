import path from 'node:path';
import type { FindingsOrigin, LspSettings } from '../../protocol';
import { readDaemonInfo, sightlineHome } from '../server/state-file';
import { DaemonLink } from './daemon-link';
import { watchTrace } from './file-watch';
import { EMPTY_SNAPSHOT, type Snapshot } from './snapshot';
import { readTrace } from './trace-reader';

const RETRY_DAEMON_MS = 5000;
/**
 * With a daemon that lacks the `findings` query its trace is re-read on `finding` events; the
 * file itself changes with every logged prediction, and each read copies it (the daemon holds the
 * lock), so the file is only polled as a slow safety net.
 */
const DAEMON_FILE_POLL_MS = 60_000;
const DEBOUNCE_MS = 150;

/**
 * Where findings come from, kept current. Preference: the daemon (live; its `findings` query, or
 * its trace file when it has no such query yet, re-read on each `finding` event), else a trace
 * file read-only (re-read when it changes on disk), else nothing. With `daemon: 'auto'` a daemon
 * that starts later is picked up, and one that stops falls back to the file.
 */
export class FindingsFeed {
  snapshot: Snapshot = EMPTY_SNAPSHOT;
  origin: FindingsOrigin = { kind: 'none', via: null, trace: null, port: null, message: 'not started', loaded_at: null, findings: 0 };
  private link: DaemonLink | null = null;
  private stopWatch: (() => void) | null = null;
  private retry: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private listeners = new Set<() => void>();
  private stopped = false;
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: LspSettings,
    /** Relative `trace` settings resolve against this folder. */
    private readonly baseDir: string,
    private readonly featureNames: () => string[],
    private readonly log: (message: string) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  async start(): Promise<void> {
    const daemon = this.settings.daemon ?? (this.settings.trace ? undefined : 'auto');
    if (daemon && (await this.tryDaemon())) return;
    await this.useFileOrNothing(daemon ? 'no daemon is running' : null);
  }

  /** Re-reads the current source now. */
  refresh(): Promise<void> {
    this.loading = this.loading.then(() => this.load()).catch(() => undefined);
    return this.loading;
  }

  stop(): void {
    this.stopped = true;
    this.link?.close();
    this.stopWatch?.();
    if (this.retry) clearTimeout(this.retry);
    if (this.debounce) clearTimeout(this.debounce);
  }

  private traceSetting(): string | null {
    return this.settings.trace ? path.resolve(this.baseDir, this.settings.trace) : null;
  }

  private async tryDaemon(): Promise<boolean> {
    const setting = this.settings.daemon ?? 'auto';
    const info = setting === 'auto' ? readDaemonInfo(sightlineHome(this.env)) : setting;
    if (!info) return false;
    let link: DaemonLink;
    try {
      link = await DaemonLink.connect(info);
    } catch (err) {
      this.log(`daemon on port ${info.port} not reachable: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    if (this.stopped) {
      link.close();
      return true;
    }
    this.stopWatch?.();
    this.stopWatch = null;
    this.link = link;
    const findings = await link.findings().catch(() => 'unsupported' as const);
    const trace = this.traceSetting() ?? link.trace;
    if (findings === 'unsupported') {
      // Older daemon: read its trace file (a copy, as the daemon holds the lock) on every event.
      this.origin = { ...this.origin, kind: 'daemon', via: 'file', trace, port: link.port, message: 'the daemon has no "findings" query; reading its trace file' };
      this.stopWatch = watchTrace(trace, () => this.schedule(), DAEMON_FILE_POLL_MS);
    } else {
      this.origin = { ...this.origin, kind: 'daemon', via: 'query', trace: link.trace, port: link.port, message: null };
    }
    link.onEvent((event) => {
      if (event === 'finding' || event === 'model') this.schedule();
    });
    link.onClose(() => {
      if (this.stopped) return;
      this.link = null;
      this.log('daemon connection closed');
      void this.useFileOrNothing('the daemon stopped').then(() => this.emit());
    });
    this.log(`findings from the daemon on port ${link.port} (${this.origin.via})`);
    await this.refresh();
    return true;
  }

  private async useFileOrNothing(why: string | null): Promise<void> {
    this.stopWatch?.();
    this.stopWatch = null;
    const trace = this.traceSetting();
    if (trace) {
      this.origin = { ...this.origin, kind: 'trace', via: 'file', trace, port: null, message: why };
      this.stopWatch = watchTrace(trace, () => this.schedule());
      this.log(`findings from trace file ${trace}`);
      await this.refresh();
    } else {
      this.origin = { kind: 'none', via: null, trace: null, port: null, message: why ?? 'no trace file or daemon configured', loaded_at: null, findings: 0 };
      this.snapshot = EMPTY_SNAPSHOT;
    }
    if ((this.settings.daemon ?? (this.settings.trace ? undefined : 'auto')) === 'auto') this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.stopped || this.link) return;
      void this.tryDaemon().then((ok) => (ok ? this.emit() : this.scheduleRetry()));
    }, RETRY_DAEMON_MS);
    this.retry.unref();
  }

  /** Coalesces bursts (an analysis writes many findings at once) into one reload. */
  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.refresh().then(() => this.emit());
    }, DEBOUNCE_MS);
  }

  private async load(): Promise<void> {
    try {
      if (this.link && this.origin.via === 'query') {
        const findings = await this.link.findings();
        const models = await this.link.models();
        this.snapshot = { findings: findings === 'unsupported' ? [] : findings, models, hints: [] };
      } else if (this.origin.trace && this.origin.via === 'file') {
        this.snapshot = await readTrace(this.origin.trace, this.featureNames());
      } else return;
      this.origin = { ...this.origin, loaded_at: new Date().toISOString(), findings: this.snapshot.findings.length, message: this.origin.kind === 'trace' || this.origin.via === 'file' ? this.origin.message : null };
    } catch (err) {
      // Keep the last good snapshot: a torn read mid-write is retried on the next change.
      const msg = err instanceof Error ? err.message : String(err);
      this.origin = { ...this.origin, message: `cannot read findings: ${msg}` };
      this.log(`cannot read findings: ${msg}`);
    }
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}
