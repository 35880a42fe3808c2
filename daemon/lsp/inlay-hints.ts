import type { InlayHint, Range } from 'vscode-languageserver';
import type { Catalog } from './catalog';
import { lensTitle } from './format';
import { isAbove } from './judge';

/**
 * A compact score at the end of each definition's first line (`drift PSI 0.31 · skew 12 % rows`).
 * Off unless the `inlayHints` setting is on: they sit in the code itself.
 */
export function buildInlayHints(catalog: Catalog, file: string, range: Range, lineText: (line: number) => string | undefined): InlayHint[] {
  const out: InlayHint[] = [];
  for (const p of catalog.placementsIn(file)) {
    const line = p.location.line - 1;
    if (line < range.start.line || line > range.end.line) continue;
    const ff = catalog.findings(p.view, p.entry.name);
    const parts = [ff.drift[0], ff.skew[0]].filter((f) => f !== undefined).map((f) => lensTitle(f!));
    const quality = ff.quality.filter(isAbove).length;
    if (quality > 0) parts.push(`${quality} quality`);
    const slices = ff.slices.filter(isAbove).length;
    if (slices > 0) parts.push(`${slices} slice${slices === 1 ? '' : 's'}`);
    if (parts.length === 0) continue;
    const text = lineText(line) ?? '';
    out.push({ position: { line, character: text.length }, label: parts.join(' · '), paddingLeft: true, tooltip: `Sightline findings for ${p.entry.name}` });
  }
  return out;
}
