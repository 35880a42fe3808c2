import type { DefinitionKind } from '../../protocol';

/** A place in one file that may define a feature called `name`. Lines and columns are 1-based. */
export interface Candidate {
  name: string;
  line: number;
  column: number;
  endColumn: number;
  /** Last line of the definition's body. */
  endLine: number;
  kind: DefinitionKind;
}

/**
 * Static-discovery rank: a function named after the feature is its definition; an assignment
 * (or SQL alias) computes a column; a dict/object key usually only assembles features computed
 * elsewhere. Config and SDK locations are not ranked (they are explicit).
 */
export const RANK: Record<DefinitionKind, number> = { function: 3, assignment: 2, alias: 2, key: 1, unknown: 0 };

/** 1-based line and column of a 0-based offset, given the offsets where lines start. */
export function positionAt(lineStarts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}
