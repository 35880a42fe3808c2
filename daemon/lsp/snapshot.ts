import { FeatureKind, type FeatureHint, type Finding } from '../../protocol';

export interface ModelSummary {
  name: string;
  version: string;
  features: { name: string; kind?: FeatureKind }[];
}

/** What the language server knows from the trace or the daemon at one moment. */
export interface Snapshot {
  findings: Finding[];
  /** Models recorded in the trace (or loaded in the daemon), with their cards' features. */
  models: ModelSummary[];
  /** SDK-recorded code locations of features (trace files only). */
  hints: FeatureHint[];
}

export const EMPTY_SNAPSHOT: Snapshot = { findings: [], models: [], hints: [] };

/**
 * Models from `models` rows of a trace (`card` is JSON text) or from the daemon's `models` query
 * (`card` is an object). Cards are read loosely: a card without features still names a model.
 */
export function toModels(rows: unknown[]): ModelSummary[] {
  const out: ModelSummary[] = [];
  for (const raw of rows) {
    if (!raw || typeof raw !== 'object') continue;
    const r = raw as Record<string, unknown>;
    let card: unknown = r.card;
    if (typeof card === 'string') {
      try {
        card = JSON.parse(card);
      } catch {
        card = {};
      }
    }
    const c = (card && typeof card === 'object' ? card : {}) as Record<string, unknown>;
    const features = Array.isArray(c.features)
      ? c.features.flatMap((f) => {
          const spec = f as { name?: unknown; kind?: unknown };
          if (typeof spec?.name !== 'string') return [];
          const kind = FeatureKind.safeParse(spec.kind);
          return [{ name: spec.name, ...(kind.success ? { kind: kind.data } : {}) }];
        })
      : [];
    const name = String(r.name ?? c.name ?? '');
    if (name) out.push({ name, version: String(r.version ?? c.version ?? ''), features });
  }
  return out;
}
