import * as vscode from 'vscode';
import type { DaemonSupervisor } from '../daemon/supervisor';
import { describeError, type Log } from '../log';
import { RefreshableTree } from './refreshable';

/** A run as listed by the daemon's `runs` query (RunSummary in protocol/queries.ts), read field by field. */
export interface RunRow {
  id: string;
  kind: string;
  label: string;
  status: string;
  time: string;
  raw: Record<string, unknown>;
}

export type RunNode = { kind: 'group'; title: string; runs: RunRow[] } | { kind: 'run'; run: RunRow } | { kind: 'message'; text: string };

const GROUPS: [string, string][] = [['replay', 'Replays'], ['eval', 'Evaluations'], ['compare', 'Comparisons'], ['component', 'Component runs']];

/**
 * Replay, evaluation and component runs from the daemon's `runs` query. A daemon without that
 * query (before replay/eval exist) leaves the view empty and its welcome text says so.
 */
export class RunsTree extends RefreshableTree<RunNode> {
  constructor(private readonly supervisor: DaemonSupervisor, private readonly log: Log) {
    super();
    this.disposables.push(
      supervisor.onDidChangeState(() => this.refresh()),
      supervisor.onEvent((e) => {
        if (e.event === 'run_progress') this.refresh(1000);
      }),
    );
  }

  async getChildren(element?: RunNode): Promise<RunNode[]> {
    if (element?.kind === 'group') return element.runs.map((run) => ({ kind: 'run', run }));
    if (element) return [];
    const session = this.supervisor.session;
    if (!session) return [];
    let result: unknown;
    try {
      result = await session.connection.query<unknown>('runs', {});
    } catch (err) {
      const message = describeError(err);
      if (/unknown query method/i.test(message) || (err as { code?: string }).code === 'not_found') {
        void vscode.commands.executeCommand('setContext', 'sightline.runsAvailable', false);
        return [];
      }
      this.log.warn(`runs view: ${message}`);
      return [{ kind: 'message', text: `Cannot list runs: ${message}` }];
    }
    void vscode.commands.executeCommand('setContext', 'sightline.runsAvailable', true);
    const rows = parseRuns(result);
    return GROUPS.map(([kind, title]) => ({ kind: 'group' as const, title, runs: rows.filter((r) => (kind === 'component' ? !GROUPS.slice(0, 3).some(([k]) => k === r.kind) : r.kind === kind)) }))
      .filter((g) => g.runs.length > 0);
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.kind === 'message') return new vscode.TreeItem(node.text);
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.title, vscode.TreeItemCollapsibleState.Expanded);
      item.description = String(node.runs.length);
      return item;
    }
    const r = node.run;
    const item = new vscode.TreeItem(r.label);
    item.description = [r.status, r.time].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(r.status === 'failed' || r.status === 'fail' ? 'error' : r.kind === 'replay' ? 'debug-rerun' : r.kind === 'eval' ? 'beaker' : 'run');
    item.tooltip = `${r.kind} run ${r.id}`;
    item.contextValue = `run.${r.kind}`;
    item.command = r.kind === 'replay' || r.kind === 'eval' || r.kind === 'compare'
      ? { command: 'sightline.openRun', title: 'Open', arguments: [r.id] }
      : { command: 'sightline.traceTarget', title: 'Trace', arguments: [r.id] };
    return item;
  }
}

export function parseRuns(result: unknown): RunRow[] {
  const list = Array.isArray(result) ? result : Array.isArray((result as { runs?: unknown })?.runs) ? (result as { runs: unknown[] }).runs : [];
  const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  return list.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object').map((r) => {
    const kind = str(r.kind ?? r.type) || (r.component ? 'component' : 'run');
    const id = str(r.id ?? r.run_id);
    const name = str(r.name ?? r.component ?? r.model ?? r.candidate);
    const gates = r.passed === true ? 'gates passed' : r.passed === false ? 'gate failed' : '';
    const time = str(r.started ?? r.start ?? r.time ?? r.created);
    const when = time ? time.slice(0, 16).replace('T', ' ') : '';
    return { id, kind, label: name || when || id, status: [str(r.status), gates].filter(Boolean).join(', '), time: name ? when : '', raw: r };
  }).filter((r) => r.id);
}
