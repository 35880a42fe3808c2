import * as vscode from 'vscode';
import type { DaemonSupervisor } from './daemon/supervisor';
import type { Log } from './log';
import { loadPanels, type PanelHost, type PanelsModule } from './panel-api';

/** The PanelHost the webview panels talk through: daemon queries and events, logging, opening files. */
export function createPanelHost(extensionUri: vscode.Uri, supervisor: DaemonSupervisor, log: Log): PanelHost {
  return {
    extensionUri,
    query<T>(method: string, params?: unknown): Promise<T> {
      const session = supervisor.session;
      if (!session) return Promise.reject(new Error(`the Sightline daemon is not connected (${supervisor.state.kind})`));
      return session.connection.query<T>(method, params);
    },
    onEvent(listener) {
      return supervisor.onEvent((e) => listener(e.event, e.data));
    },
    log,
    async openFile(path: string, line?: number) {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
      const pos = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false, viewColumn: vscode.ViewColumn.One });
    },
    get readOnly() {
      return supervisor.session?.readOnly ?? true;
    },
  };
}

/** The panels module, or a clear message that this build has none (never a fake view). */
export function requirePanels(): PanelsModule | undefined {
  const panels = loadPanels();
  if (!panels) void vscode.window.showErrorMessage('Sightline: this build of the extension has no webview panels (extension/panels was not bundled).');
  return panels;
}
