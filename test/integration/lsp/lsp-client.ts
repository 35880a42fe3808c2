import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  CodeLensRefreshRequest, createProtocolConnection, InlayHintRefreshRequest, PublishDiagnosticsNotification,
  StreamMessageReader, StreamMessageWriter, type CodeAction, type CodeLens, type Diagnostic, type Hover,
  type InlayHint, type ProtocolConnection, type Range,
} from 'vscode-languageserver/node';
import { FINDINGS_CHANGED_NOTIFICATION } from '../../../protocol';
import { CLI, ROOT } from '../../helpers/daemon';

export const uri = (file: string): string => pathToFileURL(file).href;

export interface StartOptions {
  /** The folder the editor opened. */
  folder: string;
  initializationOptions?: unknown;
  /** Answer to `workspace/configuration` for section `sightline` (absent: capability not announced). */
  configuration?: unknown;
  env?: NodeJS.ProcessEnv;
  /** Announce no client capabilities at all, as the most basic LSP clients do. */
  minimal?: boolean;
}

/**
 * A second LSP client, no editor involved: spawns the built `sightline lsp --stdio` and speaks
 * JSON-RPC over its stdio with vscode-languageserver's protocol connection.
 */
export class LspClient {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  readonly notifications: { method: string; params: unknown }[] = [];
  lensRefreshes = 0;
  private waiters = new Set<() => void>();
  stderr = '';
  initializeResult: unknown;

  private constructor(readonly conn: ProtocolConnection, readonly child: ChildProcess) {}

  static async start(opts: StartOptions): Promise<LspClient> {
    const child = spawn(process.execPath, [CLI, 'lsp', '--stdio'], { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspClient(conn, child);
    child.stderr!.on('data', (d) => (client.stderr += d.toString()));
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      client.diagnostics.set(p.uri, p.diagnostics);
      client.wake();
    });
    for (const method of [FINDINGS_CHANGED_NOTIFICATION, 'window/logMessage']) {
      conn.onNotification(method, (params: unknown) => {
        client.notifications.push({ method, params });
        client.wake();
      });
    }
    conn.onRequest(CodeLensRefreshRequest.type, () => {
      client.lensRefreshes++;
      client.wake();
    });
    conn.onRequest(InlayHintRefreshRequest.type, () => undefined);
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('workspace/configuration', () => [opts.configuration ?? null]);
    conn.listen();
    client.initializeResult = await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uri(opts.folder),
      workspaceFolders: [{ uri: uri(opts.folder), name: 'sample' }],
      initializationOptions: opts.initializationOptions,
      capabilities: opts.minimal ? {} : {
        workspace: { codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true }, configuration: opts.configuration !== undefined, workspaceFolders: true },
        textDocument: {
          publishDiagnostics: { relatedInformation: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
          inlayHint: {},
          codeLens: {},
        },
      },
    });
    await conn.sendNotification('initialized', {});
    return client;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once `check` returns a value (re-checked on each message from the server). */
  waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const v = check();
        if (v !== undefined && v !== false) {
          cleanup();
          resolve(v);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}\nserver stderr:\n${this.stderr}`));
      }, timeoutMs);
      const poll = setInterval(attempt, 200);
      const cleanup = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void attempt();
      this.waiters.add(waiter);
      attempt();
    });
  }

  diagnosticsOf(file: string): Diagnostic[] {
    return this.diagnostics.get(uri(file)) ?? [];
  }

  open(file: string, text = readFileSync(file, 'utf8'), languageId = file.endsWith('.py') ? 'python' : 'typescript'): Promise<void> {
    return this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(file), languageId, version: 1, text } });
  }

  change(file: string, text: string, version: number): Promise<void> {
    return this.conn.sendNotification('textDocument/didChange', { textDocument: { uri: uri(file), version }, contentChanges: [{ text }] });
  }

  codeLenses(file: string): Promise<CodeLens[]> {
    return this.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: uri(file) } });
  }

  hover(file: string, line: number, character: number): Promise<Hover | null> {
    return this.conn.sendRequest('textDocument/hover', { textDocument: { uri: uri(file) }, position: { line, character } });
  }

  codeActions(file: string, range: Range, diagnostics: Diagnostic[]): Promise<CodeAction[]> {
    return this.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: uri(file) }, range, context: { diagnostics } });
  }

  inlayHints(file: string, range: Range): Promise<InlayHint[]> {
    return this.conn.sendRequest('textDocument/inlayHint', { textDocument: { uri: uri(file) }, range });
  }

  executeCommand(command: string, args: unknown[]): Promise<unknown> {
    return this.conn.sendRequest('workspace/executeCommand', { command, arguments: args });
  }

  request<T>(method: string, params?: unknown): Promise<T> {
    return this.conn.sendRequest(method, params ?? {});
  }

  /** The LSP shutdown handshake; resolves with the server's exit code. */
  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => {
      if (this.child.exitCode !== null) resolve(this.child.exitCode);
      else this.child.once('exit', (code) => resolve(code));
    });
    try {
      await this.conn.sendRequest('shutdown');
      await this.conn.sendNotification('exit');
    } catch {
      this.child.kill('SIGKILL');
    }
    const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    this.conn.dispose();
    return code;
  }
}
