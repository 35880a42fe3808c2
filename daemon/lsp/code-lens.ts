import type { CodeLens } from 'vscode-languageserver';
import { LSP_COMMANDS, type Finding } from '../../protocol';
import type { Catalog, Placement } from './catalog';
import { lensTitle } from './format';
import { isAbove } from './judge';
import { nameRange } from './ranges';

/**
 * Lenses on each mapped definition, one per kind so each is its own click:
 * `drift PSI 0.31` · `skew 12 % rows` · `2 failing slices` · `1 quality issue`. A feature whose
 * data is calm says so with its number (`no drift (PSI 0.02)`); one with no data at all gets
 * `Sightline: no findings` once findings were read, so silence is never ambiguous.
 */
export function buildCodeLenses(catalog: Catalog, file: string): CodeLens[] {
  const out: CodeLens[] = [];
  for (const p of catalog.placementsIn(file)) {
    const range = nameRange(p.location);
    const lens = (title: string, command: string): void => {
      out.push({ range, command: { title, command, arguments: [p.entry.name] } });
    };
    const ff = catalog.findings(p.view, p.entry.name);
    const drift = ff.drift[0];
    const skew = ff.skew[0];
    if (drift) lens(lensTitle(drift) + expected(catalog, p, drift), LSP_COMMANDS.showDrift);
    if (skew) lens(lensTitle(skew) + expected(catalog, p, skew), LSP_COMMANDS.showSkew);
    const quality = ff.quality.filter(isAbove);
    if (quality.length === 1) lens(lensTitle(quality[0]!) + expected(catalog, p, quality[0]!), LSP_COMMANDS.showQuality);
    else if (quality.length > 1) lens(`${quality.length} quality issues`, LSP_COMMANDS.showQuality);
    const slices = ff.slices.filter(isAbove);
    if (slices.length > 0) lens(`${slices.length} failing slice${slices.length === 1 ? '' : 's'}`, LSP_COMMANDS.showSlices);
    if (!drift && !skew && quality.length === 0 && slices.length === 0 && catalog.origin.loaded_at !== null) {
      lens('Sightline: no findings', LSP_COMMANDS.showDrift);
    }
  }
  return out;
}

function expected(catalog: Catalog, p: Placement, f: Finding): string {
  return isAbove(f) && catalog.isSuppressed(p.view, p.entry, f) ? ' (expected)' : '';
}
