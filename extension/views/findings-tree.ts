import * as vscode from 'vscode';
import type { Finding, FindingKind, FindingsQueryResult } from '../../protocol/findings';
import type { FindingView } from '../../protocol/lsp';
import type { DaemonSupervisor } from '../daemon/supervisor';
import { describeError, type Log } from '../log';
import type { LanguageClientHost } from '../lsp/client';
import { RefreshableTree } from './refreshable';

/** A finding as the views use it: the language server's judgement when it runs, else the daemon's raw row. */
export type ViewFinding = Finding & Partial<Pick<FindingView, 'above_threshold' | 'suppressed' | 'severity'>>;

export type FindingNode = { kind: 'feature'; feature: string; findings: ViewFinding[] } | { kind: 'finding'; finding: ViewFinding } | { kind: 'message'; text: string };

const KIND_ORDER: FindingKind[] = ['drift', 'skew', 'quality', 'slice'];
/** How metric names read in labels (others as stored, e.g. a quality check's name). */
const METRIC_NAMES: Record<string, string> = { psi: 'PSI', js: 'JS', ks: 'KS', linf: 'L∞', chi2: 'χ²', wasserstein_norm: 'W/σ', wasserstein: 'Wasserstein', mismatch_rate: 'mismatch' };
const SLICES_GROUP = '(slices)';

/**
 * Findings by feature (drift, skew, quality, failing slices). Read from the language server
 * (`sightline/findings`: thresholds judged, suppressions applied) or, without it, the daemon's
 * `findings` query. Clicking a finding opens its panel.
 */
export class FindingsTree extends RefreshableTree<FindingNode> {
  constructor(private readonly supervisor: DaemonSupervisor, private readonly lsp: () => LanguageClientHost | undefined, private readonly log: Log) {
    super();
    this.disposables.push(
      supervisor.onDidChangeState(() => this.refresh(500)),
      supervisor.onEvent((e) => {
        if (e.event === 'finding') this.refresh(500);
      }),
    );
  }

  watchLanguageClient(host: LanguageClientHost): void {
    this.disposables.push(host.onFindingsChanged(() => this.refresh()), host.onDidChangeState(() => this.refresh(300)));
  }

  /** All current findings (for pickers). */
  async load(): Promise<ViewFinding[]> {
    const lsp = this.lsp();
    if (lsp?.running) {
      try {
        const r = await lsp.findings({});
        if (r && (r.findings.length > 0 || !this.supervisor.session)) return r.findings;
      } catch (err) {
        this.log.debug(`findings from the language server: ${describeError(err)}`);
      }
    }
    const session = this.supervisor.session;
    if (!session) return [];
    return (await session.connection.query<FindingsQueryResult>('findings', {})).findings;
  }

  async getChildren(element?: FindingNode): Promise<FindingNode[]> {
    if (element?.kind === 'feature') {
      return [...element.findings].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind)).map((finding) => ({ kind: 'finding', finding }));
    }
    if (element) return [];
    let findings: ViewFinding[];
    try {
      findings = await this.load();
    } catch (err) {
      return [{ kind: 'message', text: `Cannot read findings: ${describeError(err)}` }];
    }
    void vscode.commands.executeCommand('setContext', 'sightline.hasFindings', findings.length > 0);
    const byFeature = new Map<string, ViewFinding[]>();
    for (const f of findings) {
      const key = f.kind === 'slice' ? SLICES_GROUP : (f.feature ?? SLICES_GROUP);
      byFeature.set(key, [...(byFeature.get(key) ?? []), f]);
    }
    // Features by worst finding; the failing slices (often many) last.
    return [...byFeature.entries()]
      .sort(([a, fa], [b, fb]) => Number(a === SLICES_GROUP) - Number(b === SLICES_GROUP) || rank(fb) - rank(fa) || a.localeCompare(b))
      .map(([feature, list]) => ({ kind: 'feature', feature, findings: list }));
  }

  getTreeItem(node: FindingNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text);
      item.iconPath = new vscode.ThemeIcon('warning');
      return item;
    }
    if (node.kind === 'feature') {
      const many = node.findings.length > 10;
      const item = new vscode.TreeItem(node.feature, many ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
      const kinds = [...new Set(node.findings.filter(active).map((f) => f.kind))].sort((a, b) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b));
      item.description = node.feature === SLICES_GROUP ? `${node.findings.length} failing` : kinds.length ? kinds.join(' · ') : 'within thresholds';
      item.iconPath = severityIcon(worst(node.findings));
      item.contextValue = node.feature === SLICES_GROUP ? 'findingGroup' : 'feature';
      item.id = `feature:${node.feature}`;
      return item;
    }
    const f = node.finding;
    const item = new vscode.TreeItem(findingLabel(f));
    item.description = [f.baseline ? `vs ${f.baseline}` : '', f.window_desc ?? '', f.suppressed ? 'expected' : ''].filter(Boolean).join(' · ');
    item.iconPath = severityIcon(active(f) ? severity(f) : null);
    item.tooltip = findingTooltip(f);
    item.contextValue = `finding.${f.kind}`;
    item.command = { command: 'sightline.openFinding', title: 'Open', arguments: [f] };
    return item;
  }
}

/** `skew: JS 0.87 ≥ 0.1` · `drift: PSI 0.31` · `slice origin = ORD ∧ dep_hour > 17: error 0.41`. */
export function findingLabel(f: ViewFinding): string {
  const metric = METRIC_NAMES[f.metric ?? ''] ?? f.metric ?? 'score';
  const score = f.score === null ? '∞' : fmt(f.score);
  const cmp = f.threshold !== null ? ` ${f.score === null || f.score >= f.threshold ? '≥' : '<'} ${fmt(f.threshold)}` : '';
  if (f.kind === 'slice') {
    const preds = Array.isArray(f.details.predicates) ? (f.details.predicates as { feature?: string; op?: string; value?: unknown }[]).map((p) => `${p.feature} ${p.op} ${JSON.stringify(p.value)}`).join(' ∧ ') : (f.feature ?? 'slice');
    return `slice ${preds}: ${f.metric ?? 'loss'} ${score}`;
  }
  if (f.kind === 'quality' && f.score === null) return `quality: ${metric}`;
  return `${f.kind}: ${metric} ${score}${cmp}`;
}

function findingTooltip(f: ViewFinding): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${f.kind}** on \`${f.feature ?? '—'}\`${f.model_name ? ` (model ${f.model_name})` : ''}\n\n`);
  md.appendMarkdown(`${f.metric ?? 'score'} = ${f.score === null ? '∞' : fmt(f.score)}${f.threshold !== null ? `, threshold ${fmt(f.threshold)}` : ''}\n\n`);
  if (f.baseline) md.appendMarkdown(`baseline ${f.baseline}`);
  if (f.window_desc) md.appendMarkdown(` · window ${f.window_desc}`);
  md.appendMarkdown(`\n\nrecorded ${f.time}`);
  return md;
}

function active(f: ViewFinding): boolean {
  if (f.suppressed) return false;
  if (f.above_threshold !== undefined) return f.above_threshold;
  return f.threshold === null || f.score === null || f.score >= f.threshold;
}

/** The language server's severity, or the same rule when the row comes from the daemon: Error at ≥ 2× the threshold, Warning at ≥ 1×, Information for failing slices. */
function severity(f: ViewFinding): 'error' | 'warning' | 'information' {
  if (f.severity) return f.severity;
  if (f.kind === 'slice') return 'information';
  if (f.threshold === null || f.score === null) return 'warning';
  return f.score >= 2 * f.threshold ? 'error' : 'warning';
}

function worst(list: ViewFinding[]): 'error' | 'warning' | 'information' | null {
  const order = ['error', 'warning', 'information'] as const;
  for (const s of order) if (list.some((f) => active(f) && severity(f) === s)) return s;
  return null;
}

function rank(list: ViewFinding[]): number {
  const w = worst(list);
  return w === 'error' ? 3 : w === 'warning' ? 2 : w === 'information' ? 1 : 0;
}

function severityIcon(s: 'error' | 'warning' | 'information' | null): vscode.ThemeIcon {
  if (s === 'error') return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
  if (s === 'warning') return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  if (s === 'information') return new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
  return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toPrecision(2);
}
