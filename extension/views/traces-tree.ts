import path from 'node:path';
import * as vscode from 'vscode';
import type { DaemonSupervisor } from '../daemon/supervisor';
import { RefreshableTree } from './refreshable';

export interface TraceFile {
  file: string;
  /** The workspace's own trace (written by the daemon), not a file to view read-only. */
  workspace: boolean;
}

const RECENT_KEY = 'sightline.recentTraces';

/** Trace files: the workspace's own, the `*.duckdb` files in the workspace, and recently opened ones. */
export class TracesTree extends RefreshableTree<TraceFile> {
  constructor(private readonly supervisor: DaemonSupervisor, private readonly state: vscode.Memento, private readonly workspaceTrace: () => string | undefined) {
    super();
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.duckdb', false, true, false);
    this.disposables.push(watcher, watcher.onDidCreate(() => this.refresh(1000)), watcher.onDidDelete(() => this.refresh(1000)), supervisor.onDidChangeState(() => this.refresh()));
  }

  /** Remembers a file opened with "Open Trace File" (most recent first, at most 10). */
  async remember(file: string): Promise<void> {
    const recent = [file, ...this.state.get<string[]>(RECENT_KEY, []).filter((f) => f !== file)].slice(0, 10);
    await this.state.update(RECENT_KEY, recent);
    this.refresh();
  }

  async getChildren(element?: TraceFile): Promise<TraceFile[]> {
    if (element) return [];
    const own = this.workspaceTrace();
    const found = (await vscode.workspace.findFiles('**/*.duckdb', '**/node_modules/**', 200)).map((u) => u.fsPath);
    const files = new Map<string, TraceFile>();
    if (own) files.set(own, { file: own, workspace: true });
    for (const f of [...found.sort(), ...this.state.get<string[]>(RECENT_KEY, [])]) if (!files.has(f)) files.set(f, { file: f, workspace: false });
    return [...files.values()];
  }

  getTreeItem(t: TraceFile): vscode.TreeItem {
    const item = new vscode.TreeItem(path.basename(t.file));
    const open = this.supervisor.session?.trace === t.file;
    const where = vscode.workspace.asRelativePath(path.dirname(t.file));
    item.description = [t.workspace ? 'workspace trace' : '', open ? 'open' : '', where === path.dirname(t.file) ? where : where || '.'].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(open ? 'database' : 'file', open ? new vscode.ThemeColor('testing.iconPassed') : undefined);
    item.tooltip = `${t.file}${t.workspace ? '\nThe workspace trace: the daemon writes predictions here.' : '\nOpens read-only.'}`;
    item.resourceUri = vscode.Uri.file(t.file);
    item.contextValue = t.workspace ? 'trace.workspace' : 'trace';
    item.command = { command: 'sightline.openTraceItem', title: 'Open Trace', arguments: [t] };
    return item;
  }
}
