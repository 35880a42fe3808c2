import type { CodeLocation, FeatureMapSource, FeatureSide } from '../../protocol';
import type { Candidate } from './candidate';
import { languageOf, relativeTo } from './paths';

/** A discovered candidate as a wire location. */
export function toLocation(c: Candidate, file: string, root: string, side: FeatureSide | undefined, source: FeatureMapSource): CodeLocation {
  return {
    file, relative: relativeTo(root, file), line: c.line, column: c.column, endColumn: c.endColumn, endLine: c.endLine,
    kind: c.kind, language: languageOf(file), ...(side ? { side } : {}), source,
  };
}

/**
 * A location given as file + line (config, SDK). When static discovery found the feature on that
 * very line, its kind, name column and body extent are reused; otherwise the name is searched on
 * the line and the location covers that line only.
 */
export function explicitLocation(
  name: string, file: string, line: number, lineText: string, root: string, side: FeatureSide | undefined,
  source: FeatureMapSource, candidates: Candidate[],
): CodeLocation {
  const found = candidates.find((c) => c.name === name && c.line === line);
  if (found) return toLocation(found, file, root, side, source);
  const at = findName(lineText, name);
  const column = at >= 0 ? at + 1 : 1;
  return toLocation({ name, line, column, endColumn: at >= 0 ? column + name.length : column, endLine: line, kind: 'unknown' }, file, root, side, source);
}

/** Index of `name` as a whole word in `text`, or -1. */
function findName(text: string, name: string): number {
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1)) {
    const before = text[i - 1];
    const after = text[i + name.length];
    if (!(before && /[\w$]/.test(before)) && !(after && /[\w$]/.test(after))) return i;
  }
  return -1;
}

/** Same place (file and line): the same definition seen twice, e.g. by the SDK and by discovery. */
export function sameLine(a: CodeLocation, b: CodeLocation): boolean {
  return a.file === b.file && a.line === b.line;
}

export function describe(l: CodeLocation): string {
  return `${l.relative}:${l.line} (${l.kind})`;
}
