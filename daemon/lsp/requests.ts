import type { Connection } from 'vscode-languageserver';
import {
  FEATURE_MAP_REQUEST, FeatureMapParams, FINDINGS_REQUEST, FindingsParams, REFRESH_REQUEST, STATUS_REQUEST,
  type FeatureMapResult, type FindingsOrigin, type FindingsResult, type FindingView,
} from '../../protocol';
import type { Catalog } from './catalog';
import { isAbove, severityOf } from './judge';

/**
 * The custom requests (rust-analyzer style): `sightline/featureMap`, `sightline/findings`,
 * `sightline/status`, `sightline/refresh`. Types live in protocol/lsp.ts for the extension.
 */
export function registerRequests(connection: Connection, current: () => Catalog, refresh: () => Promise<FindingsOrigin>): void {
  connection.onRequest(FEATURE_MAP_REQUEST, (raw: unknown): FeatureMapResult => {
    const params = FeatureMapParams.safeParse(raw ?? {});
    const root = params.success ? params.data.root : undefined;
    return { workspaces: current().views.filter((v) => !root || v.root === root).map((v) => v.map) };
  });
  connection.onRequest(FINDINGS_REQUEST, (raw: unknown): FindingsResult => {
    const params = FindingsParams.safeParse(raw ?? {});
    return findings(current(), params.success ? params.data : {});
  });
  connection.onRequest(STATUS_REQUEST, (): FindingsOrigin => current().origin);
  connection.onRequest(REFRESH_REQUEST, () => refresh());
}

function findings(catalog: Catalog, params: FindingsParams): FindingsResult {
  const out = new Map<string, FindingView>();
  for (const view of catalog.views) {
    for (const [feature, ff] of view.findings) {
      if (params.feature && feature !== params.feature) continue;
      const entry = view.map.features.find((f) => f.name === feature);
      for (const f of [...ff.drift, ...ff.skew, ...ff.quality, ...ff.slices]) {
        if (params.kind && f.kind !== params.kind) continue;
        const suppressed = entry ? isAbove(f) && catalog.isSuppressed(view, entry, f) : false;
        if (suppressed && !params.includeSuppressed) continue;
        const prev = out.get(f.id);
        // A slice involves several features: suppressed only if every one of them says so.
        out.set(f.id, { ...f, above_threshold: isAbove(f), suppressed: prev ? prev.suppressed && suppressed : suppressed, severity: severityOf(f) });
      }
    }
  }
  return { origin: catalog.origin, findings: [...out.values()].sort((a, b) => b.time.localeCompare(a.time) || a.id.localeCompare(b.id)) };
}
