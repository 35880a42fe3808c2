import type { CodeLocation, FeatureMapEntry, FeatureSide, Finding, FindingsOrigin, Suppression } from '../../protocol';
import type { FeatureFindings } from './judge';
import { definitionHash, readSuppressions, silences } from './suppressions';
import type { WorkspaceView } from './workspaces';

/** A feature definition in a file: what the lens, hover, diagnostics and hints attach to. */
export interface Placement {
  view: WorkspaceView;
  entry: FeatureMapEntry;
  side: FeatureSide;
  location: CodeLocation;
  /** The definition on the other side, if mapped. */
  twin?: CodeLocation;
}

const NO_FINDINGS: FeatureFindings = { drift: [], skew: [], quality: [], slices: [] };

/**
 * Everything the LSP features read, frozen for one moment: workspaces with their feature maps
 * and findings, suppressions, and the current text of definitions (unsaved edits included).
 */
export class Catalog {
  private byFile = new Map<string, Placement[]>();
  private suppressions = new Map<string, Suppression[]>();
  private hashes = new Map<string, string>();

  constructor(
    readonly views: WorkspaceView[],
    readonly origin: FindingsOrigin,
    private readonly readText: (file: string) => string | undefined,
  ) {
    for (const view of views) {
      this.suppressions.set(view.root, readSuppressions(view.root));
      for (const entry of view.map.features) {
        for (const side of ['training', 'serving'] as const) {
          const location = entry[side];
          if (!location) continue;
          const twin = entry[side === 'training' ? 'serving' : 'training'];
          const list = this.byFile.get(location.file) ?? [];
          list.push({ view, entry, side, location, ...(twin ? { twin } : {}) });
          this.byFile.set(location.file, list);
        }
      }
    }
  }

  files(): string[] {
    return [...this.byFile.keys()];
  }

  placementsIn(file: string): Placement[] {
    return this.byFile.get(file) ?? [];
  }

  /** The definition whose name covers (0-based) line/character, if any. */
  placementAt(file: string, line: number, character: number): Placement | undefined {
    return this.placementsIn(file).find((p) => p.location.line - 1 === line && character >= p.location.column - 1 && character <= p.location.endColumn - 1);
  }

  findings(view: WorkspaceView, feature: string): FeatureFindings {
    return view.findings.get(feature) ?? NO_FINDINGS;
  }

  /** Hash of the feature's current training and serving definition texts. */
  hash(view: WorkspaceView, entry: FeatureMapEntry): string {
    const key = `${view.root}\u0000${entry.name}`;
    let h = this.hashes.get(key);
    if (h === undefined) {
      h = definitionHash({ training: this.definitionText(entry.training), serving: this.definitionText(entry.serving) });
      this.hashes.set(key, h);
    }
    return h;
  }

  isSuppressed(view: WorkspaceView, entry: FeatureMapEntry, f: Finding): boolean {
    const list = this.suppressions.get(view.root) ?? [];
    if (list.length === 0) return false;
    const hash = this.hash(view, entry);
    return list.some((s) => silences(s, entry.name, f, hash));
  }

  /** "flights-delay v1", … for every model version whose card lists the feature. */
  modelsUsing(view: WorkspaceView, feature: string): string[] {
    return view.models.filter((m) => m.features.some((f) => f.name === feature)).map((m) => `${m.name} ${m.version}`.trim());
  }

  definitionText(l: CodeLocation | undefined): string | undefined {
    if (!l) return undefined;
    const text = this.readText(l.file);
    if (text === undefined) return undefined;
    return text.split(/\r?\n/).slice(l.line - 1, l.endLine).join('\n');
  }
}
