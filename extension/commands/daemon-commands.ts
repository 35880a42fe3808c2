import * as vscode from 'vscode';
import type { Core } from '../core';
import type { TraceFile } from '../views/traces-tree';
import { command } from './register';

/** Daemon lifecycle, logs, and which trace file is open. */
export function registerDaemonCommands(core: Core & { openTrace(file: string | undefined): Promise<void> }): void {
  command(core, 'sightline.restartDaemon', async () => {
    core.log.info('restart requested');
    await core.supervisor.restart();
  });
  command(core, 'sightline.restartLanguageServer', async () => {
    const lsp = core.lsp();
    if (!lsp) throw new Error('the language server is not started in this workspace');
    await lsp.restart();
  });
  command(core, 'sightline.showLogs', () => core.log.show(true));
  command(core, 'sightline.refreshViews', () => {
    for (const v of Object.values(core.views)) v.refresh(0);
    void core.lsp()?.refresh();
  });
  command(core, 'sightline.openTrace', async (file?: unknown) => {
    let target = typeof file === 'string' ? file : file instanceof vscode.Uri ? file.fsPath : undefined;
    if (!target) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Open a Sightline trace file (read-only)', canSelectMany: false, openLabel: 'Open Trace',
        filters: { 'Sightline traces': ['duckdb'], 'All files': ['*'] },
        ...(core.workspace().root ? { defaultUri: vscode.Uri.file(core.workspace().root!) } : {}),
      });
      target = picked?.[0]?.fsPath;
    }
    if (!target) return;
    await core.openTrace(target);
  });
  command(core, 'sightline.openTraceItem', async (t: TraceFile) => {
    await core.openTrace(t.workspace ? undefined : t.file);
  });
  command(core, 'sightline.useWorkspaceTrace', async () => {
    await core.openTrace(undefined);
  });
  command(core, 'sightline.statusMenu', async () => {
    const s = core.supervisor.session;
    const items: (vscode.QuickPickItem & { command: string })[] = [
      { label: '$(debug-restart) Restart Daemon', command: 'sightline.restartDaemon', description: core.supervisor.state.kind },
      { label: '$(output) Show Logs', command: 'sightline.showLogs' },
      { label: '$(folder-opened) Open Trace File…', command: 'sightline.openTrace', ...(s ? { description: s.trace } : {}) },
      ...(s?.readOnly && s.mode === 'own' ? [{ label: '$(home) Open Workspace Trace', command: 'sightline.useWorkspaceTrace' }] : []),
      { label: '$(graph-line) Show Drift', command: 'sightline.showDrift' },
      { label: '$(list-filter) Show Failing Slices', command: 'sightline.showSlices' },
      { label: '$(refresh) Restart Language Server', command: 'sightline.restartLanguageServer', description: core.lsp()?.state ?? 'not started' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Sightline', placeHolder: 'Daemon, logs and views' });
    if (pick) await vscode.commands.executeCommand(pick.command);
  });
}
