/**
 * Sightline's webview panels in VS Code: drift diff, failing slices, lineage graph, prediction
 * explorer and replay/eval compare. One panel per kind (showing it again reveals and re-targets
 * it). Each loads its bundle from dist/webviews with a strict CSP (html.ts), talks through the
 * typed, validated messaging of protocol/webview.ts (controller.ts, handlers.ts), and is restored
 * after a window reload by a `WebviewPanelSerializer` from the state the webview saved.
 */
import * as vscode from 'vscode';
import {
  ConnectionNotification, DaemonEventNotification, InitNotification, PANEL_ARGS, PANEL_PROTOCOLS, PANEL_VIEW_TYPE, PersistedPanelState,
  type PanelArgs, type PanelKind,
} from '../../protocol/webview';
import type { EventType } from '../../protocol/stream';
import { PanelController } from './controller';
import { panelHandlers, type PanelServices } from './handlers';
import { buildWebviewHtml, newNonce } from './html';

import type { PanelHost } from '../panel-api';

export type { PanelHost };

export const PANEL_VIEW_TYPES: readonly string[] = Object.values(PANEL_VIEW_TYPE);

/** Stream events each panel cares about (forwarded coalesced, at most once a second). */
const PANEL_EVENTS: Record<PanelKind, readonly EventType[]> = {
  drift: ['finding'],
  slices: ['finding', 'label'],
  lineage: ['model'],
  predictions: ['prediction', 'label'],
  compare: ['run_progress'],
};

/** How long a restored panel waits for the daemon connection before its queries fail. */
const HOST_WAIT_MS = 30_000;

interface OpenPanel {
  panel: vscode.WebviewPanel;
  retarget(args: unknown): void;
}

const open = new Map<PanelKind, OpenPanel>();

export function showDrift(host: PanelHost, args: { feature?: string; baseline?: string } = {}): vscode.WebviewPanel {
  return show('drift', host, args);
}

export function showSlices(host: PanelHost, args: { feature?: string } = {}): vscode.WebviewPanel {
  return show('slices', host, args);
}

export function showLineage(host: PanelHost, args: { target: string }): vscode.WebviewPanel {
  return show('lineage', host, args);
}

export function showPredictions(host: PanelHost, args: { filter?: Record<string, unknown> } = {}): vscode.WebviewPanel {
  return show('predictions', host, args);
}

export function showCompare(host: PanelHost, args: { runId: string } | { report: unknown }): vscode.WebviewPanel {
  return show('compare', host, args);
}

/** Restores open panels after a window reload (WebviewPanelSerializer per view type). */
export function registerPanelSerializers(context: vscode.ExtensionContext, host: () => PanelHost | undefined): void {
  for (const kind of PANEL_KINDS) {
    context.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE[kind], {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
          const saved = PersistedPanelState.safeParse(state);
          const args = PANEL_ARGS[kind].safeParse(saved.success ? saved.data.args : {});
          const existing = open.get(kind);
          if (!args.success || existing) {
            // Nothing to restore (or a second copy of a singleton panel): close it.
            panel.dispose();
            return;
          }
          const h = host();
          const extensionUri = h?.extensionUri ?? context.extensionUri;
          attach(kind, panel, extensionUri, host, args.data);
        },
      }),
    );
  }
}

const PANEL_KINDS = Object.keys(PANEL_VIEW_TYPE) as PanelKind[];

function show<K extends PanelKind>(kind: K, host: PanelHost, rawArgs: unknown): vscode.WebviewPanel {
  const parsed = PANEL_ARGS[kind].safeParse(rawArgs);
  if (!parsed.success) throw new Error(`Sightline ${kind} panel: invalid arguments: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  const existing = open.get(kind);
  if (existing) {
    existing.retarget(parsed.data);
    existing.panel.reveal(undefined, false);
    return existing.panel;
  }
  const panel = vscode.window.createWebviewPanel(
    PANEL_VIEW_TYPE[kind],
    panelTitle(kind, parsed.data),
    { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
    { ...webviewOptions(host.extensionUri), enableFindWidget: true, retainContextWhenHidden: false },
  );
  attach(kind, panel, host.extensionUri, () => host, parsed.data);
  return panel;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

function attach(kind: PanelKind, panel: vscode.WebviewPanel, extensionUri: vscode.Uri, hostRef: () => PanelHost | undefined, initialArgs: unknown): void {
  let args = initialArgs;
  const disposables: vscode.Disposable[] = [];
  const webview = panel.webview;
  webview.options = webviewOptions(extensionUri);
  const asset = (file: string): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webviews', file)).toString();
  webview.html = buildWebviewHtml({
    cspSource: webview.cspSource, nonce: newNonce(), scriptUri: asset(`${kind}.js`), styleUri: asset(`${kind}.css`),
    title: panelTitle(kind, args), panel: kind,
  });

  const waitForHost = async (): Promise<PanelHost> => {
    const deadline = Date.now() + HOST_WAIT_MS;
    for (;;) {
      const h = hostRef();
      if (h) return h;
      if (Date.now() > deadline) throw Object.assign(new Error('the Sightline daemon is not connected; restart it with "Sightline: Restart Daemon"'), { code: 'not_connected' });
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const log = {
    info: (m: string) => hostRef()?.log.info(m),
    warn: (m: string) => hostRef()?.log.warn(m),
    error: (m: string) => hostRef()?.log.error(m),
  };
  const services: PanelServices = {
    query: async <T>(method: string, params?: unknown): Promise<T> => (await waitForHost()).query<T>(method, params),
    openFile: async (path, line) => (await waitForHost()).openFile(path, line),
    open: (target, targetArgs) => {
      const h = hostRef();
      if (h) show(target, h, targetArgs);
    },
    log,
    get readOnly() {
      return hostRef()?.readOnly ?? true;
    },
  };
  const sendInit = (reason: 'load' | 'retarget'): void => {
    controller.notify(InitNotification, { panel: kind, args, readOnly: hostRef()?.readOnly ?? true, reason });
  };
  const onArgs = (next: unknown): void => {
    args = next;
    panel.title = panelTitle(kind, args);
  };
  const controller = new PanelController(PANEL_PROTOCOLS[kind], panelHandlers(kind, services, () => sendInit('load'), onArgs), (m) => webview.postMessage(m), log);
  disposables.push(webview.onDidReceiveMessage((m: unknown) => void controller.receive(m)));

  // Daemon events, coalesced per event type and forwarded at most once a second.
  const pending = new Map<string, unknown[]>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (): void => {
    timer = undefined;
    for (const [event, data] of pending) {
      controller.notify(DaemonEventNotification, { event: event as EventType, count: data.length, data: data.slice(-50) });
    }
    pending.clear();
  };
  let subscribed = false;
  const subscribe = (): void => {
    const h = hostRef();
    if (!h || subscribed) return;
    subscribed = true;
    disposables.push(h.onEvent((event, data) => {
      if (!PANEL_EVENTS[kind].includes(event as EventType)) return;
      pending.set(event, [...(pending.get(event) ?? []), ...data].slice(-50));
      timer ??= setTimeout(flush, 1000);
    }));
    controller.notify(ConnectionNotification, { connected: true });
  };
  subscribe();
  if (!subscribed) {
    const poll = setInterval(() => {
      subscribe();
      if (subscribed) clearInterval(poll);
    }, 1000);
    disposables.push({ dispose: () => clearInterval(poll) });
  }

  const entry: OpenPanel = {
    panel,
    retarget: (next) => {
      args = next;
      panel.title = panelTitle(kind, args);
      sendInit('retarget');
    },
  };
  open.set(kind, entry);
  panel.onDidDispose(() => {
    if (open.get(kind) === entry) open.delete(kind);
    if (timer) clearTimeout(timer);
    controller.dispose();
    for (const d of disposables) d.dispose();
  });
}

function panelTitle(kind: PanelKind, args: unknown): string {
  const a = (args ?? {}) as Partial<PanelArgs['drift'] & PanelArgs['lineage'] & { runId: string }>;
  switch (kind) {
    case 'drift': return a.feature ? `Drift: ${a.feature}` : 'Sightline Drift';
    case 'slices': return 'Failing Slices';
    case 'lineage': return a.target ? `Lineage: ${a.target.length > 14 ? `${a.target.slice(0, 13)}…` : a.target}` : 'Lineage';
    case 'predictions': return 'Predictions';
    case 'compare': {
      const kind = (args as { report?: { kind?: unknown } } | undefined)?.report?.kind;
      return a.runId ? `Compare: ${a.runId}` : kind === 'compare' ? 'Model Comparison' : kind === 'eval' ? 'Evaluation' : 'Replay Compare';
    }
  }
}
