import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { Finding, FindingKind } from '../../protocol';
import type { Catalog, Placement } from './catalog';
import { diagnosticMessage } from './format';
import { severityOf, type Severity } from './judge';
import { fileUri, nameRange } from './ranges';

export const DIAGNOSTIC_SOURCE = 'sightline';
/** Failing slices per feature shown as diagnostics: the rest are in the hover and the slice view. */
const MAX_SLICE_DIAGNOSTICS = 3;

/** What a Sightline diagnostic carries for its code actions. */
export interface DiagnosticData {
  feature: string;
  kind: FindingKind;
  findingId: string;
  root: string;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information,
};

/**
 * Diagnostics per file: on both the training and the serving definition of each feature with a
 * finding above threshold (unless marked as expected), each pointing at its twin on the other
 * side; plus an Information on each candidate of an ambiguous feature, so it gets mapped.
 */
export function buildDiagnostics(catalog: Catalog): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  const push = (file: string, d: Diagnostic): void => {
    const list = out.get(file) ?? [];
    list.push(d);
    out.set(file, list);
  };
  for (const file of catalog.files()) {
    out.set(file, []);
    for (const p of catalog.placementsIn(file)) {
      const ff = catalog.findings(p.view, p.entry.name);
      const list: Finding[] = [...ff.drift, ...ff.skew, ...ff.quality, ...ff.slices.slice(0, MAX_SLICE_DIAGNOSTICS)];
      for (const f of list) {
        const severity = severityOf(f);
        if (!severity || catalog.isSuppressed(p.view, p.entry, f)) continue;
        push(file, findingDiagnostic(p, f, severity));
      }
    }
  }
  for (const view of catalog.views) {
    for (const problem of view.map.problems) {
      if (problem.code !== 'ambiguous') continue;
      for (const c of problem.candidates ?? []) {
        push(c.file, { range: nameRange(c), severity: DiagnosticSeverity.Information, source: DIAGNOSTIC_SOURCE, code: 'ambiguous-feature', message: problem.message });
      }
    }
  }
  return out;
}

function findingDiagnostic(p: Placement, f: Finding, severity: Severity): Diagnostic {
  const data: DiagnosticData = { feature: p.entry.name, kind: f.kind, findingId: f.id, root: p.view.root };
  const other = p.side === 'training' ? 'serving' : 'training';
  return {
    range: nameRange(p.location),
    severity: SEVERITY[severity],
    source: DIAGNOSTIC_SOURCE,
    code: f.kind,
    message: diagnosticMessage(p.entry.name, f),
    ...(p.twin
      ? { relatedInformation: [{ location: { uri: fileUri(p.twin.file), range: nameRange(p.twin) }, message: `${other} definition of ${p.entry.name} (${p.twin.relative}:${p.twin.line})` }] }
      : {}),
    data,
  };
}
