import { CodeActionKind, type CodeAction, type Diagnostic, type Range } from 'vscode-languageserver';
import { LSP_COMMANDS, type FindingKind, type MarkExpectedArgs } from '../../protocol';
import type { Catalog } from './catalog';
import { DIAGNOSTIC_SOURCE, type DiagnosticData } from './diagnostics';
import { nameRange, overlaps } from './ranges';

const VIEW_COMMAND: Record<FindingKind, { command: string; title: (f: string) => string }> = {
  drift: { command: LSP_COMMANDS.showDrift, title: (f) => `Sightline: open the drift diff of ${f}` },
  skew: { command: LSP_COMMANDS.showSkew, title: (f) => `Sightline: compare training and serving values of ${f}` },
  quality: { command: LSP_COMMANDS.showQuality, title: (f) => `Sightline: show data-quality issues of ${f}` },
  slice: { command: LSP_COMMANDS.showSlices, title: (f) => `Sightline: show failing slices involving ${f}` },
};

/**
 * For each Sightline diagnostic in the request: open its view, open the feature's lineage, and
 * mark it as expected (executed by the server). On a definition without diagnostics the view and
 * lineage actions are still offered.
 */
export function buildCodeActions(catalog: Catalog, file: string, range: Range, diagnostics: Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  const add = (a: CodeAction): void => {
    if (!out.some((o) => o.title === a.title)) out.push(a);
  };
  for (const d of diagnostics) {
    const data = d.data as DiagnosticData | undefined;
    if (d.source !== DIAGNOSTIC_SOURCE || !data?.feature || !data.kind) continue;
    const view = VIEW_COMMAND[data.kind];
    add({ title: view.title(data.feature), kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, command: { title: view.title(data.feature), command: view.command, arguments: [data.feature] } });
    add(lineage(data.feature, [d]));
    const args: MarkExpectedArgs = { feature: data.feature, kind: data.kind, root: data.root };
    const title = `Sightline: mark ${data.kind} of ${data.feature} as expected (until its code or data changes)`;
    add({ title, kind: CodeActionKind.QuickFix, diagnostics: [d], command: { title, command: LSP_COMMANDS.markExpected, arguments: [args] } });
  }
  for (const p of catalog.placementsIn(file)) {
    if (!overlaps(nameRange(p.location), range)) continue;
    const drift = VIEW_COMMAND.drift;
    add({ title: drift.title(p.entry.name), command: { title: drift.title(p.entry.name), command: drift.command, arguments: [p.entry.name] } });
    add(lineage(p.entry.name));
  }
  return out;
}

function lineage(feature: string, diagnostics?: Diagnostic[]): CodeAction {
  const title = `Sightline: trace the lineage of ${feature}`;
  return { title, ...(diagnostics ? { kind: CodeActionKind.QuickFix, diagnostics } : {}), command: { title, command: LSP_COMMANDS.traceFeature, arguments: [feature] } };
}
