import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo, ModelsResponse } from '../../protocol/models';
import type { Core } from '../core';
import { configPath } from '../workspace';

/** The models the daemon serves now (none without a connection). */
export async function loadedModels(core: Core): Promise<ModelInfo[]> {
  const session = core.supervisor.session;
  if (!session) return [];
  return (await session.connection.query<ModelsResponse>('models').catch(() => ({ models: [] }))).models;
}

/** An .onnx file: those of sightline.json and the loaded models, or one picked on disk. */
export async function pickModelFile(core: Core, title: string, exclude?: string): Promise<string | undefined> {
  const ws = core.workspace();
  const files = new Map<string, string>();
  for (const p of ws.models) for (const f of expandOnnx(p)) files.set(f, 'sightline.json');
  for (const m of await loadedModels(core)) files.set(m.path, `${m.name}@${m.version}${m.is_default ? ' · served now' : ''}`);
  if (exclude) files.delete(exclude);
  const loaded = await loadedModels(core);
  const items: (vscode.QuickPickItem & { file?: string })[] = [...files.entries()].map(([file, why]) => ({ label: path.basename(file), description: why, detail: vscode.workspace.asRelativePath(file), file }));
  // The served default first when choosing the model to compare against.
  if (exclude) items.sort((a, b) => Number(loaded.some((m) => m.is_default && m.path === b.file)) - Number(loaded.some((m) => m.is_default && m.path === a.file)));
  items.push({ label: '$(folder-opened) Browse…' });
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'ONNX model', ignoreFocusOut: true });
  if (!pick) return undefined;
  if (pick.file) return pick.file;
  const picked = await vscode.window.showOpenDialog({ title, canSelectMany: false, filters: { 'ONNX models': ['onnx'] }, ...(ws.root ? { defaultUri: vscode.Uri.file(ws.root) } : {}) });
  return picked?.[0]?.fsPath;
}

/**
 * Captured traffic: the open trace's logged predictions (all, or the newest ones for a quick
 * look), sightline.json's `traffic` file when it also names the `transform` that turns its raw
 * records into features, or a file picked on disk.
 */
export async function pickTraffic(core: Core): Promise<{ args: string[]; what: string } | undefined> {
  const ws = core.workspace();
  const trace = core.supervisor.session?.trace ?? ws.trace;
  const file = configPath(ws, 'traffic');
  const transform = typeof ws.config.transform === 'string' ? ws.config.transform : undefined;
  type Item = vscode.QuickPickItem & { args?: string[]; what?: string };
  const items: Item[] = [];
  if (trace && existsSync(trace)) {
    const name = path.basename(trace);
    items.push(
      { label: 'All logged predictions', description: name, args: ['--traffic', trace], what: `the predictions logged in ${name}` },
      { label: 'The newest 10,000 predictions', description: name, args: ['--traffic', trace, '--last', '10000'], what: `the newest 10,000 predictions of ${name}` },
      { label: 'The newest 1,000 predictions', description: `${name} · a quick look`, args: ['--traffic', trace, '--last', '1000'], what: `the newest 1,000 predictions of ${name}` },
    );
  }
  if (file && existsSync(file) && transform) {
    items.push({ label: path.basename(file), description: 'sightline.json "traffic", through its "transform"', args: ['--traffic', file, '--transform', transform], what: path.basename(file) });
  }
  items.push({ label: '$(folder-opened) A data file with model features…', description: 'CSV, Parquet, JSON lines' });
  const pick = await vscode.window.showQuickPick(items, { title: 'Replay traffic: which captured traffic?', ignoreFocusOut: true });
  if (!pick) return undefined;
  if (pick.args) return { args: pick.args, what: pick.what ?? pick.label };
  const picked = (await vscode.window.showOpenDialog({ title: 'Replay traffic: captured requests (model features as columns)', canSelectMany: false, filters: { Data: ['parquet', 'csv', 'jsonl', 'json'] } }))?.[0]?.fsPath;
  return picked ? { args: ['--traffic', picked], what: path.basename(picked) } : undefined;
}

function expandOnnx(p: string): string[] {
  try {
    if (statSync(p).isDirectory()) return readdirSync(p).filter((f) => f.endsWith('.onnx')).sort().map((f) => path.join(p, f));
  } catch {
    return [];
  }
  return [p];
}
