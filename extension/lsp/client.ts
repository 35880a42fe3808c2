import * as vscode from 'vscode';
import { LanguageClient, State, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { FeatureMapResult, FindingsOrigin, FindingsParams, FindingsResult, LspSettings } from '../../protocol/lsp';
import { describeError, type Log } from '../log';
import * as ext from './requests';

export type LspState = 'stopped' | 'starting' | 'running' | 'failed';

/**
 * The language client of `sightline lsp --stdio` (the bundled CLI on the editor's Node). It is
 * (re)created whenever the findings source changes (the daemon's port and token after a restart,
 * the trace file, inlay hints): a client that failed or was stopped is never reused, a new one is
 * made (rust-analyzer does the same). Settings reach the server as initializationOptions and, when
 * it pulls the `sightline` section, through middleware (so editor-only settings stay out of it).
 */
export class LanguageClientHost implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private settings: LspSettings | undefined;
  private current: LspState = 'stopped';
  private lastError = '';
  private queue: Promise<void> = Promise.resolve();
  private readonly stateEmitter = new vscode.EventEmitter<LspState>();
  private readonly findingsEmitter = new vscode.EventEmitter<FindingsOrigin>();
  readonly onDidChangeState = this.stateEmitter.event;
  /** `sightline/findingsChanged` from the server (and after each (re)start). */
  readonly onFindingsChanged = this.findingsEmitter.event;

  constructor(
    private readonly serverScript: string,
    private readonly log: Log,
    private readonly serverLog: vscode.LogOutputChannel,
  ) {}

  get state(): LspState {
    return this.current;
  }

  get error(): string {
    return this.lastError;
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  /** Starts with these settings, or restarts when they differ from the running client's (or it died). */
  ensure(settings: LspSettings): Promise<void> {
    return this.enqueue(async () => {
      const same = JSON.stringify(settings) === JSON.stringify(this.settings);
      if (same && this.client?.state === State.Running) return;
      await this.recreate(settings);
    });
  }

  /** Recreates the client with the last settings (the "Restart" of a failed server). */
  restart(): Promise<void> {
    return this.enqueue(async () => {
      if (this.settings) await this.recreate(this.settings);
    });
  }

  stop(): Promise<void> {
    return this.enqueue(async () => {
      await this.disposeClient();
      this.setState('stopped');
    });
  }

  async findings(params: FindingsParams = {}): Promise<FindingsResult | undefined> {
    if (!this.running) return undefined;
    return this.client!.sendRequest(ext.findings, params);
  }

  async featureMap(): Promise<FeatureMapResult | undefined> {
    if (!this.running) return undefined;
    return this.client!.sendRequest(ext.featureMap, {});
  }

  async status(): Promise<FindingsOrigin | undefined> {
    if (!this.running) return undefined;
    return this.client!.sendRequest(ext.status);
  }

  async refresh(): Promise<FindingsOrigin | undefined> {
    if (!this.running) return undefined;
    return this.client!.sendRequest(ext.refresh);
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(job, job).catch((err: unknown) => this.log.error(`language server: ${describeError(err)}`));
    return this.queue;
  }

  private async recreate(settings: LspSettings): Promise<void> {
    await this.disposeClient();
    this.settings = settings;
    const node = { command: process.execPath, args: [this.serverScript, 'lsp', '--stdio'], options: { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } } };
    const serverOptions: ServerOptions = { run: node, debug: node };
    const clientOptions: LanguageClientOptions = {
      documentSelector: ['python', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'sql'].map((language) => ({ scheme: 'file', language })),
      initializationOptions: settings,
      outputChannel: this.serverLog,
      middleware: {
        workspace: {
          // The server's `sightline` section is the LSP settings (LspSettings), not the editor's.
          configuration: async (params, token, next) => {
            const others = params.items.some((item) => item.section !== 'sightline') ? await next(params, token) : [];
            if (!Array.isArray(others)) return others;
            return params.items.map((item, i) => (item.section === 'sightline' ? settings : others[i]));
          },
        },
      },
    };
    const client = new LanguageClient('sightline', 'Sightline Language Server', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (this.client !== client) return;
      if (e.newState === State.Running) this.setState('running');
      else if (e.newState === State.Starting) this.setState('starting');
      else this.setState(this.current === 'running' || this.current === 'starting' ? 'failed' : 'stopped');
    });
    this.setState('starting');
    this.log.info(`starting the language server (${settings.daemon && typeof settings.daemon === 'object' ? `daemon port ${settings.daemon.port}` : 'no daemon'}${settings.trace ? `, trace ${settings.trace}` : ''})`);
    try {
      await client.start();
      client.onNotification(ext.findingsChanged, (p) => this.findingsEmitter.fire(p.origin));
      this.lastError = '';
      const origin = await client.sendRequest(ext.status).catch(() => undefined);
      if (origin) this.findingsEmitter.fire(origin);
    } catch (err) {
      this.lastError = describeError(err);
      this.log.error(`the language server did not start: ${this.lastError}`);
      this.setState('failed');
    }
  }

  private async disposeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      if (client.needsStop()) await client.stop(3000);
    } catch (err) {
      this.log.debug(`language server stop: ${describeError(err)}`);
    }
    await client.dispose().catch(() => undefined);
  }

  private setState(s: LspState): void {
    if (s === this.current) return;
    this.current = s;
    this.stateEmitter.fire(s);
  }

  dispose(): void {
    void this.disposeClient();
    this.stateEmitter.dispose();
    this.findingsEmitter.dispose();
  }
}
