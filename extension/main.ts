import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LspSettings } from '../protocol/lsp';
import { SightlineCli } from './cli';
import { registerDaemonCommands } from './commands/daemon-commands';
import { registerPanelCommands } from './commands/panel-commands';
import { registerRunCommands } from './commands/run-commands';
import { registerTraceCommands } from './commands/trace-commands';
import type { Core } from './core';
import { daemonHome } from './daemon/launch';
import { resolveTarget } from './daemon/target';
import { DaemonSupervisor, type DaemonState } from './daemon/supervisor';
import { createLog } from './log';
import { LanguageClientFollower } from './lsp/follow';
import { loadPanels } from './panel-api';
import { createPanelHost } from './panel-host';
import { DAEMON_SETTINGS, LSP_SETTINGS, settingsFrom, type Settings } from './settings';
import { StatusBar } from './status-bar';
import { FindingsTree } from './views/findings-tree';
import { ModelsTree } from './views/models-tree';
import { RunsTree } from './views/runs-tree';
import { TracesTree } from './views/traces-tree';
import { findWorkspace } from './workspace';

/** What `activate` returns (the test suites read it through `extension.exports`). */
export interface SightlineApi {
  /** Time spent in activate(), ms. */
  activationMs: number;
  readonly state: DaemonState;
  readonly home: string;
  onDidChangeState: vscode.Event<DaemonState>;
  /** Whether the bundled CLI has a command (eval, replay, compare, export land separately). */
  cliSupports(command: string): Promise<boolean>;
  /** A typed query to the connected daemon (what the panels ask), for the test suites to check what a view shows. */
  query<T>(method: string, params?: unknown): Promise<T>;
}

let shutdown: (() => Promise<void>) | undefined;

/**
 * Activation does only cheap, synchronous work (read sightline.json, create the views, register
 * commands, show the status bar); the daemon and the language client start right after, in the
 * background, and the language client's code is loaded only then.
 */
export function activate(context: vscode.ExtensionContext): SightlineApi {
  const t0 = performance.now();
  const log = createLog(context);
  const serverLog = vscode.window.createOutputChannel('Sightline Language Server', { log: true });
  context.subscriptions.push(serverLog);
  const bundledScript = context.asAbsolutePath(path.join('dist', 'sightline.js'));
  const workspace = () => findWorkspace(fileFolders(), readSettings(rootUri()));
  const first = workspace();
  for (const p of first.problems) log.warn(p);
  /** A trace file opened read-only with "Open Trace File" (undefined: the workspace's own trace). */
  let opened: string | undefined;

  const supervisor = new DaemonSupervisor({
    log, bundledScript,
    home: daemonHome(context.globalStorageUri.fsPath, first.root),
    settings: () => readSettings(rootUri()),
    untrusted: () => !vscode.workspace.isTrusted,
    target: () => resolveTarget(workspace(), opened, vscode.workspace.isTrusted),
  });

  /** The language client follows the daemon: restarted with its new port and token, trace-only without it. */
  const follower = new LanguageClientFollower(supervisor, {
    serverScript: bundledScript, log, serverLog,
    settings: (): LspSettings => {
      const s = supervisor.session;
      const trace = s?.trace ?? opened ?? workspace().trace;
      return {
        ...(trace && existsSync(trace) ? { trace } : {}),
        ...(s ? { daemon: { port: s.port, token: s.token } } : {}),
        inlayHints: readSettings(rootUri()).inlayHints,
      };
    },
    wanted: () => {
      const ws = workspace();
      return ws.configured || (!!ws.trace && existsSync(ws.trace)) || !!opened;
    },
    // Runs after activation (the client starts once the daemon's first outcome is known).
    created: (host) => {
      status.watchLanguageClient(host);
      views.findings.watchLanguageClient(host);
    },
  });
  context.subscriptions.push(follower);

  const views = {
    models: new ModelsTree(supervisor, log),
    findings: new FindingsTree(supervisor, () => follower.client, log),
    runs: new RunsTree(supervisor, log),
    traces: new TracesTree(supervisor, context.workspaceState, () => workspace().trace),
  };
  context.subscriptions.push(
    vscode.window.createTreeView('sightline.models', { treeDataProvider: views.models, showCollapseAll: true }),
    vscode.window.createTreeView('sightline.findings', { treeDataProvider: views.findings, showCollapseAll: true }),
    vscode.window.createTreeView('sightline.runs', { treeDataProvider: views.runs }),
    vscode.window.createTreeView('sightline.traces', { treeDataProvider: views.traces }),
    ...Object.values(views),
  );

  const panelHost = createPanelHost(context.extensionUri, supervisor, log);
  const core: Core & { openTrace(file: string | undefined): Promise<void> } = {
    context, log, supervisor, panelHost, views, workspace,
    cli: new SightlineCli(() => supervisor.launcher(), log),
    lsp: () => follower.client,
    async openTrace(file) {
      if (readSettings(rootUri()).attach) throw new Error('attached to a running daemon (setting sightline.daemon.attach): it decides the trace; clear the setting to open other trace files');
      const own = workspace().trace;
      opened = file && path.resolve(file) !== own ? path.resolve(file) : undefined;
      if (opened) await views.traces.remember(opened);
      log.info(opened ? `opening ${opened} read-only` : 'back to the workspace trace');
      await supervisor.restart();
    },
  };
  registerDaemonCommands(core);
  registerPanelCommands(core);
  registerRunCommands(core);
  registerTraceCommands(core);

  const status = new StatusBar(supervisor, () => follower.client);
  context.subscriptions.push(status, supervisor);

  // Context keys for menus and welcome views.
  const setContext = (key: string, value: unknown) => void vscode.commands.executeCommand('setContext', key, value);
  const onState = (state: DaemonState): void => {
    setContext('sightline.state', state.kind);
    setContext('sightline.connected', state.kind === 'connected');
    setContext('sightline.readOnly', state.kind === 'connected' ? state.session.readOnly : !vscode.workspace.isTrusted);
    if (state.kind === 'connected' && connectedAt === undefined) {
      connectedAt = performance.now();
      log.info(`daemon connected ${Math.round(connectedAt - t0)} ms after activation`);
    }
  };
  let connectedAt: number | undefined;
  context.subscriptions.push(supervisor.onDidChangeState(onState));

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (DAEMON_SETTINGS.some((s) => e.affectsConfiguration(s))) {
        if (!readSettings(rootUri()).autoStart) {
          log.info('sightline.daemon.autoStart is off: stopping the daemon');
          void supervisor.stop('sightline.daemon.autoStart is off');
        } else {
          log.info('daemon settings changed: restarting the daemon');
          void supervisor.restart();
        }
      } else if (LSP_SETTINGS.some((s) => e.affectsConfiguration(s))) void follower.sync(supervisor.state);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      log.info('workspace trusted: restarting the daemon with models');
      void supervisor.restart();
    }),
    watchConfigFile(() => {
      const before = JSON.stringify([first.models, first.trace]);
      const now = workspace();
      if (JSON.stringify([now.models, now.trace]) !== before) {
        log.info('sightline.json changed (models or trace): restarting the daemon');
        Object.assign(first, now);
        void supervisor.restart();
      }
    }),
  );

  const settings = readSettings(rootUri());
  // Start in the background, after activate returns.
  setTimeout(() => {
    // The panels module (zod schemas, messaging) costs ~90 ms to load: not on the activation path.
    // VS Code keeps webviews waiting for revival until their serializer is registered.
    const panels = loadPanels();
    if (panels) panels.registerPanelSerializers(context, () => panelHost);
    else log.warn('this build has no webview panels (extension/panels): commands that open panels will say so');
    if (!settings.autoStart) void supervisor.stop('sightline.daemon.autoStart is off');
    else if (settings.attach || first.configured || (first.trace && existsSync(first.trace))) supervisor.start();
    else void supervisor.stop(first.root ? 'no sightline.json or trace file in this workspace' : 'no folder is open');
  }, 0);

  shutdown = async () => {
    await Promise.allSettled([supervisor.shutdown(), follower.stop()]);
  };
  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms (Sightline ${context.extension.packageJSON.version}, VS Code ${vscode.version}, Node ${process.version}, ${vscode.workspace.isTrusted ? 'trusted' : 'Restricted Mode'})`);
  return {
    activationMs,
    get state() { return supervisor.state; },
    home: supervisor.home,
    onDidChangeState: supervisor.onDidChangeState,
    cliSupports: (command) => core.cli.supports(command),
    query: (method, params) => panelHost.query(method, params),
  };
}

/** Stops the daemon we started (SIGTERM: it commits queued predictions) and the language server. */
export async function deactivate(): Promise<void> {
  await shutdown?.();
}

function rootUri(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/** The workspace folders on disk, in order (a remote or virtual folder has no sightline.json we can read). */
function fileFolders(): string[] {
  return vscode.workspace.workspaceFolders?.filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath) ?? [];
}

function readSettings(scope?: vscode.Uri): Settings {
  return settingsFrom(vscode.workspace.getConfiguration('sightline', scope));
}

function watchConfigFile(onChange: () => void): vscode.Disposable {
  const w = vscode.workspace.createFileSystemWatcher('**/sightline.json');
  const subs = [w, w.onDidChange(onChange), w.onDidCreate(onChange), w.onDidDelete(onChange)];
  return { dispose: () => subs.forEach((d) => d.dispose()) };
}
