import { lineStartsOf, positionAt, type Candidate } from './candidate';

/** `AS f`, `AS "f"`, `` AS `f` ``, `AS [f]` (case-insensitive keyword). */
const ALIAS = /\bAS\s+(?:"([^"\n]+)"|`([^`\n]+)`|\[([^\]\n]+)\]|([A-Za-z_][\w$]*))/gi;

/** Column aliases in SQL: `… AS dep_hour`. Comments and string literals are blanked first. */
export function discoverSql(text: string, names: ReadonlySet<string>): Candidate[] {
  const masked = maskSql(text);
  const starts = lineStartsOf(text);
  const out: Candidate[] = [];
  ALIAS.lastIndex = 0;
  for (let m = ALIAS.exec(masked); m; m = ALIAS.exec(masked)) {
    const name = m[1] ?? m[2] ?? m[3] ?? m[4] ?? '';
    if (!names.has(name)) continue;
    // `CAST(x AS f)` names a type, not a column: a type is followed by `)`.
    if (/^\s*\)/.test(masked.slice(m.index + m[0].length)) && /CAST\s*\([^()]*$/i.test(masked.slice(Math.max(0, m.index - 200), m.index))) continue;
    const offset = m.index + m[0].lastIndexOf(name);
    const { line, column } = positionAt(starts, offset);
    out.push({ name, line, column, endColumn: column + name.length, endLine: line, kind: 'alias' });
  }
  return out;
}

/** Blanks `-- …` and `/* … *\/` comments and '…' string literals, keeping offsets and newlines. */
function maskSql(text: string): string {
  const out = text.split('');
  let i = 0;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to && k < text.length; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < text.length) {
    if (text.startsWith('--', i)) {
      const e = text.indexOf('\n', i);
      blank(i, e < 0 ? text.length : e);
      i = e < 0 ? text.length : e;
    } else if (text.startsWith('/*', i)) {
      const e = text.indexOf('*/', i + 2);
      const end = e < 0 ? text.length : e + 2;
      blank(i, end);
      i = end;
    } else if (text[i] === "'") {
      let j = i + 1;
      while (j < text.length && !(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1;
      blank(i, j + 1);
      i = j + 1;
    } else i++;
  }
  return out.join('');
}
