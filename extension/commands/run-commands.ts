import path from 'node:path';
import * as vscode from 'vscode';
import { CliError, CommandNotAvailable } from '../cli';
import type { Core } from '../core';
import { requirePanels } from '../panel-host';
import { allowed } from '../trust';
import { loadedModels, pickModelFile, pickTraffic } from './pickers';
import { command } from './register';

/**
 * Evaluation, replay and comparison: each runs the bundled CLI (`sightline <cmd> … --json`) with
 * cancellable progress, and shows its real result (the compare view) or a clear message when this
 * version of the CLI has no such command. Nothing is ever made up.
 */
export function registerRunCommands(core: Core): void {
  /** Asks for what it needs; keybindings and tests may pass `{ candidate, baseline, traffic?, last? }` instead. */
  command(core, 'sightline.replayTraffic', async (arg?: { candidate?: string; baseline?: string; traffic?: string; last?: number }) => {
    if (!allowed('Replay Traffic') || !writable(core, 'Replay Traffic') || !(await available(core, 'replay', 'Replay Traffic'))) return;
    const candidate = arg?.candidate ?? (await pickModelFile(core, 'Replay traffic: the candidate model'));
    if (!candidate) return;
    const baseline = arg?.baseline ?? (await pickModelFile(core, 'Replay traffic: the current model to compare against', candidate));
    if (!baseline) return;
    const given = arg?.traffic ?? (arg?.candidate ? core.supervisor.session?.trace : undefined);
    const traffic = given
      ? { args: ['--traffic', given, ...(arg?.last ? ['--last', String(arg.last)] : [])], what: path.basename(given) }
      : await pickTraffic(core);
    if (!traffic) return;
    await runAndShow(core, ['replay', ...traffic.args, '--model', candidate, '--baseline', baseline], `Sightline: replaying ${traffic.what} through ${path.basename(candidate)} and ${path.basename(baseline)}`);
  });

  command(core, 'sightline.runEvaluation', async () => {
    if (!allowed('Run Evaluation') || !writable(core, 'Run Evaluation') || !(await available(core, 'eval', 'Run Evaluation'))) return;
    const model = await pickModelFile(core, 'Run evaluation: which model?');
    if (!model) return;
    const ws = core.workspace();
    // sightline.json may say it all: { "eval": { "data", "label", "transform" } } (paths relative to it).
    const evalConfig = (ws.config.eval ?? {}) as { data?: unknown; label?: unknown; transform?: unknown };
    let data = typeof evalConfig.data === 'string' && ws.root ? path.resolve(ws.root, evalConfig.data) : undefined;
    if (!data) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Run evaluation: golden data set (labelled rows)', openLabel: 'Evaluate on this', canSelectMany: false,
        filters: { 'Data (Parquet, CSV, JSON lines)': ['parquet', 'csv', 'jsonl', 'json'] },
        ...(ws.root ? { defaultUri: vscode.Uri.file(ws.root) } : {}),
      });
      data = picked?.[0]?.fsPath;
    }
    if (!data) return;
    const configured = typeof evalConfig.transform === 'string' ? evalConfig.transform : typeof ws.config.transform === 'string' ? ws.config.transform : undefined;
    let transform = configured;
    if (transform === undefined) {
      const kind = await vscode.window.showQuickPick([
        { label: 'Model features as columns', raw: false },
        { label: 'Raw records', description: 'turned into features by a command (your serving feature code)', raw: true },
      ], { title: `Run evaluation: what do the rows of ${path.basename(data)} hold?`, ignoreFocusOut: true });
      if (!kind) return;
      if (kind.raw) {
        transform = await vscode.window.showInputBox({
          title: 'Run evaluation: feature command', prompt: 'Reads raw records as JSON lines on stdin, prints feature JSON lines (run without a shell, in the workspace folder)',
          ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'a command is needed'),
        });
        if (!transform?.trim()) return;
      }
    }
    const label = typeof evalConfig.label === 'string' ? evalConfig.label : await vscode.window.showInputBox({ title: 'Run evaluation: label column', prompt: `Column of ${path.basename(data)} holding the true label (empty: the model card's label)`, ignoreFocusOut: true });
    if (label === undefined) return;
    await runAndShow(core, [
      'eval', '--model', model, '--data', data, ...(label.trim() ? ['--label', label.trim()] : []), ...(transform?.trim() ? ['--transform', transform.trim()] : []),
    ], `Sightline: evaluating ${path.basename(model)} on ${path.basename(data)}`);
  });

  command(core, 'sightline.compareModels', async () => {
    if (!allowed('Compare Models') || !writable(core, 'Compare Models') || !(await available(core, 'compare', 'Compare Models'))) return;
    const models = await loadedModels(core);
    if (models.length < 2) throw new Error('Compare Models needs two model versions whose traffic is logged in the trace (A/B, canary or shadow); the daemon serves fewer');
    const items = models.map((m) => ({ label: `${m.name}@${m.version}`, description: [m.is_default ? 'default' : '', m.shadow_of ? `shadow of ${m.shadow_of}` : '', m.execution_provider].filter(Boolean).join(' · ') }));
    const a = await vscode.window.showQuickPick(items, { title: 'Compare models: A (current)' });
    if (!a) return;
    const b = await vscode.window.showQuickPick(items.filter((i) => i.label !== a.label), { title: 'Compare models: B (candidate)' });
    if (!b) return;
    await runAndShow(core, ['compare', '--a', a.label, '--b', b.label, '--save'], `Sightline: comparing ${a.label} and ${b.label}`);
  });

}

/** Runs are stored in the open trace: not in a read-only one (a teammate's file). */
function writable(core: Core, title: string): boolean {
  if (!core.supervisor.session?.readOnly) return true;
  void vscode.window.showWarningMessage(`Sightline: ${title} stores its run in the open trace, which is read-only. Open the workspace trace first.`, 'Open Workspace Trace').then((pick) => {
    if (pick) void vscode.commands.executeCommand('sightline.useWorkspaceTrace');
  });
  return false;
}

/** Whether the CLI has the command; if not, says so plainly. */
export async function available(core: Core, cli: string, title: string): Promise<boolean> {
  if (await core.cli.supports(cli)) return true;
  notAvailable(title, cli);
  return false;
}

function notAvailable(title: string, cli: string): void {
  void vscode.window.showWarningMessage(`Sightline: ${title} is not available in this version of Sightline (its CLI has no \`${cli}\` command yet).`);
}

async function runAndShow(core: Core, args: string[], title: string): Promise<void> {
  try {
    const { json, gateFailed } = await core.cli.run<unknown>(args, title, core.workspace().root);
    core.views.runs.refresh(0);
    // A run the daemon stored (the CLI ran through it) opens by id, so the view survives a reload;
    // otherwise the view gets the report itself.
    const runId = (json as { run_id?: unknown }).run_id;
    const stored = typeof runId === 'string' && (await core.supervisor.session?.connection.query('run', { id: runId }).then(() => true, () => false));
    requirePanels()?.showCompare(core.panelHost, stored ? { runId: runId as string } : { report: json });
    if (gateFailed) void vscode.window.showWarningMessage(`Sightline: ${args[0]} finished and a declared gate failed (see the compare view).`);
  } catch (err) {
    if (err instanceof CommandNotAvailable) return notAvailable(args[0]!, args[0]!);
    if (err instanceof CliError) throw new Error(`sightline ${args[0]} failed (exit ${err.exitCode}): ${err.message}`);
    throw err;
  }
}
