import * as vscode from 'vscode';
import type { DaemonState, DaemonSupervisor } from './daemon/supervisor';
import type { LanguageClientHost } from './lsp/client';
import { formatRate, PredictionRate } from './prediction-rate';
import { describeState } from './status-text';

/**
 * The status bar item: daemon connection state in theme colours (error and warning backgrounds),
 * the live prediction rate, and a tooltip with the details and actions (restart, logs, open trace).
 */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly rate = new PredictionRate(10);
  private readonly timer: NodeJS.Timeout;
  private readonly subscriptions: vscode.Disposable[] = [];
  private lastText = '';

  constructor(private readonly supervisor: DaemonSupervisor, private readonly lsp: () => LanguageClientHost | undefined) {
    this.item = vscode.window.createStatusBarItem('sightline.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Sightline';
    this.item.command = 'sightline.statusMenu';
    this.subscriptions.push(
      supervisor.onDidChangeState(() => {
        this.rate.reset();
        this.render();
      }),
      supervisor.onEvent((e) => {
        if (e.event === 'prediction') this.rate.add(e.data.length, Date.now());
      }),
    );
    // The rate decays with no events, so redraw once a second (cheap: only when the text changes).
    this.timer = setInterval(() => this.render(), 1000);
    this.render();
    this.item.show();
  }

  /** The language client changed state: mention it in the tooltip. */
  watchLanguageClient(host: LanguageClientHost): void {
    this.subscriptions.push(host.onDidChangeState(() => this.render(true)));
  }

  render(force = false): void {
    const state = this.supervisor.state;
    const { text, label, background } = describeState(state, state.kind === 'connected' ? this.rate.perSecond(Date.now()) : 0, Date.now());
    if (!force && text === this.lastText && this.item.tooltip) return;
    this.lastText = text;
    this.item.text = text;
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
    this.item.accessibilityInformation = { label, role: 'button' };
    this.item.tooltip = this.tooltip(state, label);
  }

  private tooltip(state: DaemonState, label: string): vscode.MarkdownString {
    const md = new vscode.MarkdownString('', true);
    md.isTrusted = { enabledCommands: ['sightline.restartDaemon', 'sightline.showLogs', 'sightline.openTrace', 'sightline.useWorkspaceTrace', 'sightline.showDrift', 'sightline.showSlices'] };
    md.supportThemeIcons = true;
    md.appendMarkdown(`**${label}**\n\n`);
    if (state.kind === 'connected') {
      const s = state.session;
      md.appendMarkdown(`Daemon ${s.mode === 'own' ? 'started by VS Code' : 'attached'} · pid ${s.pid} · 127.0.0.1:${s.port} · Sightline ${s.version}\n\n`);
      md.appendMarkdown(`Trace: \`${s.trace}\`${s.readOnly ? ' (read-only)' : ''}\n\n`);
      md.appendMarkdown(`Predictions: ${formatRate(this.rate.perSecond(Date.now()))}/s over the last 10 s\n\n`);
    } else if (state.kind === 'reconnecting' || state.kind === 'failed') {
      md.appendMarkdown(`Last error: ${escape(state.lastError)}\n\n`);
      if (state.kind === 'failed') md.appendMarkdown(`${state.crashes} failures in a short time: not restarting automatically.\n\n`);
    } else if (state.kind === 'idle') {
      md.appendMarkdown(`${escape(state.reason)}\n\n`);
    }
    const lsp = this.lsp();
    if (lsp) md.appendMarkdown(`Language server: ${lsp.state}${lsp.error ? ` (${escape(lsp.error)})` : ''}\n\n`);
    md.appendMarkdown('---\n\n');
    md.appendMarkdown('[$(debug-restart) Restart](command:sightline.restartDaemon) · [$(output) Logs](command:sightline.showLogs) · [$(folder-opened) Open Trace](command:sightline.openTrace)');
    if (state.kind === 'connected' && state.session.mode === 'own' && state.session.readOnly) md.appendMarkdown(' · [$(home) Workspace Trace](command:sightline.useWorkspaceTrace)');
    return md;
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.subscriptions) d.dispose();
    this.item.dispose();
  }
}

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
