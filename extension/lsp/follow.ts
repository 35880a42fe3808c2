import type * as vscode from 'vscode';
import type { LspSettings } from '../../protocol/lsp';
import type { DaemonState, DaemonSupervisor } from '../daemon/supervisor';
import { describeError, type Log } from '../log';
import type { LanguageClientHost } from './client';

export interface FollowOptions {
  serverScript: string;
  log: Log;
  serverLog: vscode.LogOutputChannel;
  /** The LSP settings for the current daemon session (port, token, trace, inlay hints). */
  settings: () => LspSettings;
  /** Whether this workspace wants a language server at all (sightline.json or a trace). */
  wanted: () => boolean;
  /** Called once, when the client host is created (views and status bar subscribe). */
  created: (host: LanguageClientHost) => void;
}

/**
 * Keeps the language client in step with the daemon: restarted with the new port and token after
 * every (re)connection, trace-only when the daemon is gone for good, untouched while it is on its
 * way back. The client's code (vscode-languageclient) is loaded only on the first start.
 */
export class LanguageClientFollower implements vscode.Disposable {
  private host: LanguageClientHost | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(supervisor: DaemonSupervisor, private readonly options: FollowOptions) {
    this.subscription = supervisor.onDidChangeState((s) => void this.sync(s));
  }

  get client(): LanguageClientHost | undefined {
    return this.host;
  }

  async sync(state: DaemonState): Promise<void> {
    if (state.kind === 'starting' || state.kind === 'reconnecting') return; // keep what runs until the outcome
    if (!this.options.wanted()) return;
    try {
      if (!this.host) {
        const { LanguageClientHost } = await import('./client');
        if (!this.host) {
          this.host = new LanguageClientHost(this.options.serverScript, this.options.log, this.options.serverLog);
          this.options.created(this.host);
        }
      }
      await this.host.ensure(this.options.settings());
    } catch (err) {
      this.options.log.error(`language server: ${describeError(err)}`);
    }
  }

  async stop(): Promise<void> {
    await this.host?.stop();
  }

  dispose(): void {
    this.subscription.dispose();
    this.host?.dispose();
  }
}
