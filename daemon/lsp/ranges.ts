import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Range } from 'vscode-languageserver';
import type { CodeLocation } from '../../protocol';

/** LSP range of the feature's name at a definition (locations are 1-based, LSP 0-based). */
export function nameRange(l: CodeLocation): Range {
  return { start: { line: l.line - 1, character: l.column - 1 }, end: { line: l.line - 1, character: l.endColumn - 1 } };
}

export function fileUri(file: string): string {
  return pathToFileURL(file).href;
}

/** A file path from a `file:` URI; other schemes (untitled:, git:) have none. */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']): boolean => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}
