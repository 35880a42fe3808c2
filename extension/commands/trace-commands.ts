import { existsSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Core } from '../core';
import { allowed } from '../trust';
import { command } from './register';
import { available } from './run-commands';

/** Commands on the trace itself: export a (redacted) subset, flag predictions as wrong. */
export function registerTraceCommands(core: Core): void {
  command(core, 'sightline.exportTrace', async () => {
    if (!(await available(core, 'export', 'Export Trace'))) return;
    const trace = core.supervisor.session?.trace ?? core.workspace().trace;
    if (!trace || !existsSync(trace)) throw new Error('there is no trace file to export yet');
    const out = await vscode.window.showSaveDialog({
      title: 'Export trace (a subset, with configured fields redacted)', saveLabel: 'Export',
      defaultUri: vscode.Uri.file(trace.replace(/\.duckdb$/, '') + '-export.duckdb'), filters: { 'Sightline traces': ['duckdb'] },
    });
    if (!out) return;
    const { json, gateFailed } = await core.cli.run<unknown>(['export', trace, '--out', out.fsPath], `Sightline: exporting ${path.basename(trace)}`, core.workspace().root);
    core.log.info(`export: ${JSON.stringify(json).slice(0, 2000)}`);
    if (gateFailed) {
      // Exit 1: the k-anonymity check refused to write (see the report in the log).
      void vscode.window.showWarningMessage('Sightline: the export was refused by its k-anonymity check; nothing was written. See Output → Sightline.', 'Show Logs').then((p) => p && core.log.show(true));
      return;
    }
    const pick = await vscode.window.showInformationMessage(`Sightline: exported the trace to ${out.fsPath}.`, 'Open It (read-only)');
    if (pick) await vscode.commands.executeCommand('sightline.openTrace', out.fsPath);
  });

  command(core, 'sightline.flagPrediction', async (arg?: unknown) => {
    if (!allowed('Flag Prediction')) return;
    const session = core.supervisor.session;
    if (!session) throw new Error('the Sightline daemon is not connected');
    if (session.readOnly) throw new Error('the open trace is read-only: flags are written to the workspace trace');
    const raw = typeof arg === 'string' ? arg : await vscode.window.showInputBox({ title: 'Flag Prediction as wrong', prompt: 'Prediction ids (UUIDs), separated by spaces or commas', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'at least one id') });
    const ids = (raw ?? '').split(/[\s,]+/).filter(Boolean);
    if (ids.length === 0) return;
    const reason = await vscode.window.showInputBox({ title: 'Flag Prediction: why is it wrong? (optional)', ignoreFocusOut: true });
    if (reason === undefined) return;
    const res = await session.connection.http.request<{ flagged: number }>('POST', '/v1/flags', { target_kind: 'prediction', ids, source: 'vscode', ...(reason.trim() ? { reason: reason.trim() } : {}) });
    void vscode.window.showInformationMessage(`Sightline: flagged ${res.flagged} prediction${res.flagged === 1 ? '' : 's'}. \`sightline review\` ranks what flagged predictions have in common.`);
  });
}
