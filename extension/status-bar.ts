import * as vscode from 'vscode';
import type { DaemonState, DaemonSupervisor } from './daemon/supervisor';
import type { LanguageClientHost } from './lsp/client';
import { formatRate, PredictionRate } from './prediction-rate';

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
    const { text, label, background } = this.describe(state);
    if (!force && text === this.lastText && this.item.tooltip) return;
    this.lastText = text;
    this.item.text = text;
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
    this.item.accessibilityInformation = { label, role: 'button' };
    this.item.tooltip = this.tooltip(state, label);
  }

  private describe(state: DaemonState): { text: string; label: string; background?: string } {
    switch (state.kind) {
      case 'idle':
        return { text: '$(circle-slash) Sightline', label: `Sightline: not running (${state.reason})` };
      case 'starting':
        // A restart after a crash is still recovery: keep the warning colour until connected.
        return state.attempt > 1
          ? { text: '$(sync~spin) Sightline: restarting', label: 'Sightline: reconnecting', background: 'statusBarItem.warningBackground' }
          : { text: '$(sync~spin) Sightline', label: 'Sightline: starting' };
      case 'reconnecting': {
        const s = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
        return { text: `$(sync~spin) Sightline: reconnecting${s > 0 ? ` in ${s}s` : ''}`, label: 'Sightline: reconnecting', background: 'statusBarItem.warningBackground' };
      }
      case 'failed':
        return { text: '$(error) Sightline', label: 'Sightline: daemon failed', background: 'statusBarItem.errorBackground' };
      case 'connected': {
        const rate = this.rate.perSecond(Date.now());
        const icon = state.session.readOnly ? '$(lock)' : '$(pulse)';
        return { text: `${icon} Sightline${rate > 0 ? ` ${formatRate(rate)}/s` : ''}`, label: `Sightline: connected${state.session.readOnly ? ' (read-only)' : ''}` };
      }
    }
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
