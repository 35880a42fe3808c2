import * as vscode from 'vscode';
import type { FindingKind } from '../../protocol/findings';
import type { ModelInfo } from '../../protocol/models';
import type { Core } from '../core';
import { requirePanels } from '../panel-host';
import type { FindingNode, ViewFinding } from '../views/findings-tree';
import { command } from './register';

/**
 * Commands that open panels. The language server's lenses and code actions call the `show*` and
 * `traceFeature` commands with the feature name; the palette calls them with nothing (then a
 * feature is picked); the Findings view with its tree node.
 */
export function registerPanelCommands(core: Core): void {
  command(core, 'sightline.showDrift', async (arg?: unknown) => {
    const feature = featureOf(arg) ?? (arg === undefined ? await pickFeature(core, 'drift', 'Show drift of which feature?') : undefined);
    if (feature === null) return;
    requirePanels()?.showDrift(core.panelHost, feature ? { feature } : {});
  });
  // Skew and quality are read on the drift view against the finding's baseline (the training data).
  for (const kind of ['skew', 'quality'] as const) {
    const id = kind === 'skew' ? 'sightline.showSkew' : 'sightline.showQuality';
    command(core, id, async (arg?: unknown) => {
      const feature = featureOf(arg) ?? (arg === undefined ? await pickFeature(core, kind, `Show ${kind === 'skew' ? 'training–serving skew' : 'data quality'} of which feature?`) : undefined);
      if (feature === null) return;
      const baseline = feature ? (await findingsOf(core, feature, kind))[0]?.baseline ?? undefined : undefined;
      requirePanels()?.showDrift(core.panelHost, { ...(feature ? { feature } : {}), ...(baseline ? { baseline } : {}) });
    });
  }
  command(core, 'sightline.showSlices', async (arg?: unknown) => {
    const feature = featureOf(arg);
    requirePanels()?.showSlices(core.panelHost, feature ? { feature } : {});
  });
  command(core, 'sightline.showPredictions', (arg?: unknown) => {
    const model = modelOf(arg);
    requirePanels()?.showPredictions(core.panelHost, model ? { filter: { model: model.name, version: model.version } } : {});
  });
  command(core, 'sightline.traceFeature', async (arg?: unknown) => {
    const feature = featureOf(arg) ?? (await pickFeature(core, undefined, 'Trace the lineage of which feature?'));
    if (!feature) return;
    requirePanels()?.showLineage(core.panelHost, { target: feature });
  });
  command(core, 'sightline.traceModel', (arg?: unknown) => {
    const model = modelOf(arg);
    if (!model) throw new Error('pick a model in the Models view');
    requirePanels()?.showLineage(core.panelHost, { target: model.id });
  });
  command(core, 'sightline.tracePrediction', async (arg?: unknown) => {
    const id = typeof arg === 'string' ? arg : await vscode.window.showInputBox({
      title: 'Trace Prediction', prompt: 'Prediction id (UUID), run id, artifact id or content hash',
      value: selectedId(), ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'an id is needed'),
    });
    if (!id?.trim()) return;
    requirePanels()?.showLineage(core.panelHost, { target: id.trim() });
  });
  command(core, 'sightline.traceTarget', (target: string) => {
    requirePanels()?.showLineage(core.panelHost, { target });
  });
  command(core, 'sightline.openRun', (runId: string) => {
    requirePanels()?.showCompare(core.panelHost, { runId });
  });
  command(core, 'sightline.openFinding', (f: ViewFinding) => {
    const panels = requirePanels();
    if (!panels) return;
    if (f.kind === 'slice') panels.showSlices(core.panelHost, f.feature ? { feature: f.feature } : {});
    else panels.showDrift(core.panelHost, { ...(f.feature ? { feature: f.feature } : {}), ...(f.baseline ? { baseline: f.baseline } : {}) });
  });
}

/** The feature an argument names: a string (lens), a Findings node, or a finding. */
function featureOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg) return arg;
  const node = arg as Partial<FindingNode> & { finding?: ViewFinding; feature?: unknown } | undefined;
  if (node?.kind === 'feature' && typeof node.feature === 'string' && !node.feature.startsWith('(')) return node.feature;
  if (node?.kind === 'finding' && node.finding?.feature) return node.finding.feature;
  return undefined;
}

function modelOf(arg: unknown): ModelInfo | undefined {
  const a = arg as { kind?: string; model?: ModelInfo; id?: string; name?: string } | undefined;
  if (a?.kind === 'version' && a.model) return a.model;
  if (a && typeof a.id === 'string' && typeof a.name === 'string') return a as ModelInfo;
  return undefined;
}

async function findingsOf(core: Core, feature: string, kind: FindingKind): Promise<ViewFinding[]> {
  try {
    return (await core.views.findings.load()).filter((f) => f.feature === feature && f.kind === kind);
  } catch {
    return [];
  }
}

/**
 * A feature from the feature map and the findings; findings of `kind` first. Returns undefined for
 * "all features", null when the picker was dismissed.
 */
async function pickFeature(core: Core, kind: FindingKind | undefined, title: string): Promise<string | undefined | null> {
  const names = new Map<string, string[]>();
  const map = await core.lsp()?.featureMap().catch(() => undefined);
  for (const ws of map?.workspaces ?? []) for (const f of ws.features) names.set(f.name, names.get(f.name) ?? []);
  const findings = await core.views.findings.load().catch(() => []);
  for (const f of findings) if (f.feature && f.kind !== 'slice') names.set(f.feature, [...(names.get(f.feature) ?? []), f.kind]);
  if (names.size === 0) return undefined;
  const items = [...names.entries()]
    .sort(([a, ka], [b, kb]) => Number(kind ? kb.includes(kind) : kb.length > 0) - Number(kind ? ka.includes(kind) : ka.length > 0) || a.localeCompare(b))
    .map(([name, kinds]) => ({ label: name, description: kinds.length ? [...new Set(kinds)].join(' · ') : undefined }));
  const pick = await vscode.window.showQuickPick([...items, { label: '$(list-flat) All features', description: '', all: true }], { title, placeHolder: 'Feature' });
  if (!pick) return null;
  return 'all' in pick ? undefined : pick.label;
}

/** A UUID-looking selection in the active editor, to prefill the prediction id. */
function selectedId(): string {
  const e = vscode.window.activeTextEditor;
  const text = e ? e.document.getText(e.selection).trim() : '';
  return /^[0-9a-f-]{8,64}$/i.test(text) ? text : '';
}
