import * as vscode from 'vscode';
import type { ModelInfo, ModelsResponse } from '../../protocol/models';
import type { DaemonSupervisor } from '../daemon/supervisor';
import { describeError, type Log } from '../log';
import { RefreshableTree } from './refreshable';

export type ModelNode = { kind: 'name'; name: string; versions: ModelInfo[] } | { kind: 'version'; model: ModelInfo } | { kind: 'message'; text: string };

/** Models the daemon serves, by name, each version with its execution provider and load state. */
export class ModelsTree extends RefreshableTree<ModelNode> {
  constructor(private readonly supervisor: DaemonSupervisor, private readonly log: Log) {
    super();
    this.disposables.push(
      supervisor.onDidChangeState(() => this.refresh()),
      supervisor.onEvent((e) => {
        if (e.event === 'model') this.refresh(300);
      }),
    );
  }

  async getChildren(element?: ModelNode): Promise<ModelNode[]> {
    if (element?.kind === 'name') return element.versions.map((model) => ({ kind: 'version', model }));
    if (element) return [];
    const session = this.supervisor.session;
    if (!session) return []; // the welcome view says why
    let models: ModelInfo[];
    try {
      models = (await session.connection.query<ModelsResponse>('models')).models;
    } catch (err) {
      this.log.warn(`models view: ${describeError(err)}`);
      return [{ kind: 'message', text: `Cannot list models: ${describeError(err)}` }];
    }
    if (models.length === 0) return [{ kind: 'message', text: session.readOnly ? 'Read-only trace: no models are loaded' : 'No models loaded (add them to sightline.json "models")' }];
    const byName = new Map<string, ModelInfo[]>();
    for (const m of models) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
    return [...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, versions]) => ({ kind: 'name', name, versions: versions.sort((a, b) => a.version.localeCompare(b.version, undefined, { numeric: true })) }));
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text);
      item.iconPath = new vscode.ThemeIcon('info');
      return item;
    }
    if (node.kind === 'name') {
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${node.versions.length} version${node.versions.length === 1 ? '' : 's'}`;
      item.iconPath = new vscode.ThemeIcon('symbol-class');
      item.contextValue = 'modelName';
      return item;
    }
    const m = node.model;
    const item = new vscode.TreeItem(m.version);
    const role = m.shadow_of ? `shadow of ${m.shadow_of}` : m.is_default ? 'default' : '';
    item.description = [m.execution_provider, m.state, role, m.predictions ? `${m.predictions} predictions` : ''].filter(Boolean).join(' · ');
    item.iconPath = m.state === 'loaded'
      ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'))
      : m.state === 'failed' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')) : new vscode.ThemeIcon('circle-outline');
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${m.name}@${m.version}** (${m.state})\n\n`);
    md.appendMarkdown(`- id \`${m.id.slice(0, 16)}…\`\n- file \`${m.path}\`\n- provider: ${m.execution_provider} (requested ${m.requested_provider})\n`);
    if (m.fallback_reason) md.appendMarkdown(`- fallback: ${m.fallback_reason}\n`);
    md.appendMarkdown(`- inputs: ${m.inputs.map((i) => i.name).join(', ')}\n- loaded ${m.loaded_at}\n`);
    item.tooltip = md;
    item.contextValue = 'model';
    return item;
  }
}
