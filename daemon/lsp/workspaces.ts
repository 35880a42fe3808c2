import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FeatureKind, FeatureMap, FeatureMapProblem } from '../../protocol';
import { buildFeatureMap, findWorkspaces, readWorkspace, readWorkspaceCards, WORKSPACE_FILE, type WorkspaceCard } from '../featuremap';
import { isWithin, languageOf } from '../featuremap/paths';
import { byFeature, type FeatureFindings } from './judge';
import type { ModelSummary, Snapshot } from './snapshot';

/** One Sightline workspace (a folder with sightline.json) as the server sees it now. */
export interface WorkspaceView {
  root: string;
  map: FeatureMap;
  /** Model versions that use the workspace's features (workspace cards and the trace's models). */
  models: ModelSummary[];
  findings: Map<string, FeatureFindings>;
}

interface Entry {
  cards: WorkspaceCard[] | null;
  cardProblems: FeatureMapProblem[];
  map: FeatureMap | null;
  mapKey: string;
}

/**
 * The Sightline workspaces under the editor's folders, with their feature maps cached: a map is
 * rebuilt only when code under its root changes (or the trace brings other SDK hints), not on
 * every finding.
 */
export class Workspaces {
  private entries = new Map<string, Entry>();

  constructor(private readonly readText: (file: string) => string | undefined) {}

  setFolders(folders: string[]): void {
    // An editor opened on a subfolder (e.g. serving/) still belongs to the workspace above it.
    const roots = new Set(folders.flatMap((f) => {
      const below = findWorkspaces(f);
      return below.length > 0 ? below : workspaceAbove(f);
    }));
    for (const r of [...this.entries.keys()]) if (!roots.has(r)) this.entries.delete(r);
    for (const r of roots) if (!this.entries.has(r)) this.entries.set(r, { cards: null, cardProblems: [], map: null, mapKey: '' });
  }

  get roots(): string[] {
    return [...this.entries.keys()];
  }

  /** Forgets cached maps that `file` may affect; sightline.json and model cards reload the cards. */
  invalidate(file?: string): boolean {
    const config = file !== undefined && (path.basename(file) === WORKSPACE_FILE || file.endsWith('.sightline.json') || file.endsWith('.onnx'));
    // Only source files and configuration can move a definition.
    if (file !== undefined && !config && languageOf(file) === 'other') return false;
    let hit = false;
    for (const [root, e] of this.entries) {
      if (file !== undefined && !isWithin(file, root) && !this.isFeatureCode(e, file)) continue;
      e.map = null;
      if (file === undefined || config) e.cards = null;
      hit = true;
    }
    return hit;
  }

  /** Feature names the workspaces' model cards declare (what SDK hints are looked up for). */
  declaredFeatures(): string[] {
    const names = new Set<string>();
    for (const [root, e] of this.entries) for (const c of this.cards(root, e)) for (const f of c.card.features) names.add(f.name);
    return [...names];
  }

  views(snapshot: Snapshot): WorkspaceView[] {
    return [...this.entries.entries()].map(([root, e]) => this.view(root, e, snapshot));
  }

  private view(root: string, e: Entry, snapshot: Snapshot): WorkspaceView {
    const cards = this.cards(root, e);
    const own: ModelSummary[] = cards.map((c) => ({ name: c.card.name, version: c.card.version, features: c.card.features }));
    const names = new Set(own.map((m) => m.name));
    // A workspace that lists no models takes its features from the trace.
    const traceModels = snapshot.models.filter((m) => names.size === 0 || names.has(m.name));
    const models = dedupeModels([...own, ...traceModels]);
    const features = dedupeFeatures((own.length > 0 ? own : traceModels).flatMap((m) => m.features));
    const hints = snapshot.hints.filter((h) => features.some((f) => f.name === h.feature));
    const key = JSON.stringify([features, hints]);
    if (!e.map || e.mapKey !== key) {
      const map = buildFeatureMap(root, { features, hints, cards, readText: this.readText });
      map.problems.unshift(...e.cardProblems);
      e.map = map;
      e.mapKey = key;
    }
    return { root, map: e.map, models, findings: byFeature(snapshot.findings, names) };
  }

  private cards(root: string, e: Entry): WorkspaceCard[] {
    if (!e.cards) {
      e.cardProblems = [];
      e.cards = readWorkspaceCards(readWorkspace(root, this.readText), e.cardProblems);
    }
    return e.cards;
  }

  private isFeatureCode(e: Entry, file: string): boolean {
    return (e.map?.features ?? []).some((f) => f.training?.file === file || f.serving?.file === file);
  }
}

function workspaceAbove(folder: string): string[] {
  for (let dir = path.dirname(path.resolve(folder)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, WORKSPACE_FILE))) return [dir];
    if (path.dirname(dir) === dir) return [];
  }
}

function dedupeModels(models: ModelSummary[]): ModelSummary[] {
  const out: ModelSummary[] = [];
  for (const m of models) if (!out.some((o) => o.name === m.name && o.version === m.version)) out.push(m);
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version, undefined, { numeric: true }));
}

function dedupeFeatures(list: { name: string; kind?: FeatureKind }[]): { name: string; kind?: FeatureKind }[] {
  const out = new Map<string, { name: string; kind?: FeatureKind }>();
  for (const f of list) if (!out.has(f.name)) out.set(f.name, f);
  return [...out.values()];
}
