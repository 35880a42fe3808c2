import { existsSync, statSync } from 'node:fs';
import * as vscode from 'vscode';
import { repositoryRoot, resolveCodeLocation } from './code-location';
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
    async openFile(recorded: string, line?: number) {
      // Lineage paths are relative to the repository that recorded them: find the file here.
      const where = resolveCodeLocation(recorded, {
        workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
        trace: supervisor.session?.trace,
        isFile: (p) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false,
        gitRoot: (dir) => repositoryRoot(dir, existsSync),
      });
      if (!where.found) {
        log.warn(`${where.message} Tried: ${where.tried.join(', ') || 'nothing'}`);
        void vscode.window.showWarningMessage(where.message);
        return;
      }
      if (where.path !== recorded) log.info(`opening ${recorded} as ${where.path}`);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(where.path));
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
