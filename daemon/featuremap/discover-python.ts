import type { Candidate } from './candidate';

const DEF = /^([ \t]*)(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(/;
const LAMBDA = /^([A-Za-z_]\w*)[ \t]*=[ \t]*lambda\b/;
/** `df["f"] = …`, `df.loc[:, "f"] = …`, `row['f'] = …` (not `==`). */
const SUBSCRIPT_ASSIGN = /\[[ \t]*(?:[^[\]\n]*?,[ \t]*)?(['"])([^'"\\\n]+)\1[ \t]*\][ \t]*=(?!=)/g;
/** `"f": …` in a dict literal. */
const DICT_KEY = /(['"])([^'"\\\n]+)\1[ \t]*:/g;

/**
 * Feature definitions in Python source: `def f(`, `f = lambda`, `df["f"] =`, `{"f": …}`.
 * Runs on text with comments and triple-quoted strings blanked, so docstrings that show example
 * records (`{"origin": "ATL"}`) are not mistaken for code.
 */
export function discoverPython(text: string, names: ReadonlySet<string>): Candidate[] {
  const lines = maskPython(text).split('\n');
  const out: Candidate[] = [];
  lines.forEach((line, i) => {
    const def = DEF.exec(line);
    const lambda = def ? null : LAMBDA.exec(line);
    const name = def?.[2] ?? lambda?.[1];
    if (name !== undefined && names.has(name)) {
      // Both patterns are anchored at the line start and end right after the name (+ `(` or `= lambda`).
      const column = (def ? def[0].lastIndexOf(name) : 0) + 1;
      const endLine = def ? blockEnd(lines, i, (def[1] ?? '').length) : i + 1;
      out.push({ name, line: i + 1, column, endColumn: column + name.length, endLine, kind: 'function' });
    }
    for (const [re, kind] of [[SUBSCRIPT_ASSIGN, 'assignment'], [DICT_KEY, 'key']] as const) {
      re.lastIndex = 0;
      for (let m = re.exec(line); m; m = re.exec(line)) {
        const name = m[2] ?? '';
        if (!names.has(name)) continue;
        const column = m.index + m[0].indexOf(name) + 1;
        // `df["f"] = …` as a key match too: `"f"] =` has no colon, so the two never overlap.
        out.push({ name, line: i + 1, column, endColumn: column + name.length, endLine: i + 1, kind });
      }
    }
  });
  return out;
}

/** Last line (1-based) of the block opened by the `def` on line index `start` with that indent. */
function blockEnd(lines: string[], start: number, indent: number): number {
  let last = start;
  for (let j = start + 1; j < lines.length; j++) {
    const l = lines[j] ?? '';
    if (l.trim() === '') continue;
    const ind = l.length - l.trimStart().length;
    if (ind <= indent) break;
    last = j;
  }
  return last + 1;
}

/**
 * Blanks comments and the contents of triple-quoted strings (newlines kept, so line numbers and
 * columns stay valid). Ordinary strings stay: `df["f"]` and `{"f": …}` live in them.
 */
export function maskPython(text: string): string {
  const out = text.split('');
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      let j = i + close.length;
      while (j < text.length && !text.startsWith(close, j)) {
        if (text[j] === '\\') j++;
        else if (!triple && text[j] === '\n') break; // unterminated: stop at the line end
        j++;
      }
      if (triple) for (let k = i + 3; k < Math.min(j, text.length); k++) if (out[k] !== '\n') out[k] = ' ';
      i = j + close.length;
      continue;
    }
    i++;
  }
  return out.join('');
}
