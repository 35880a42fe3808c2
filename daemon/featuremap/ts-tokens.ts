/**
 * A small JavaScript/TypeScript tokenizer: enough to tell code from comments, strings, template
 * literals and regular expressions (whose braces and quotes would otherwise derail brace
 * matching), with offsets for positions. Not a parser.
 */
export interface Token {
  type: 'ident' | 'string' | 'number' | 'punct' | 'template' | 'regex';
  /** Identifier name, string contents (escapes kept as written), or the punctuator. */
  value: string;
  start: number;
  end: number;
}

const PUNCT = ['===', '!==', '**=', '...', '<<=', '>>=', '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '**', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<', '>>'];
/** After these keywords an expression starts, so `/` opens a regular expression. */
const EXPRESSION_KEYWORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '/' && text[i + 1] === '/') { while (i < n && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') { const e = text.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; continue; }
    const start = i;
    if (c === '"' || c === "'") {
      i++;
      while (i < n && text[i] !== c && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      tokens.push({ type: 'string', value: text.slice(start + 1, Math.min(i, n)), start, end: ++i });
      continue;
    }
    if (c === '`') { i = skipTemplate(text, i); tokens.push({ type: 'template', value: '', start, end: i }); continue; }
    if (c === '/' && regexAllowed(tokens[tokens.length - 1])) {
      i = skipRegex(text, i);
      tokens.push({ type: 'regex', value: text.slice(start, i), start, end: i });
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      while (i < n && /[\w$]/.test(text[i]!)) i++;
      tokens.push({ type: 'ident', value: text.slice(start, i), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < n && /[\w.]/.test(text[i]!)) i++;
      tokens.push({ type: 'number', value: text.slice(start, i), start, end: i });
      continue;
    }
    const p = PUNCT.find((op) => text.startsWith(op, i)) ?? c;
    i += p.length;
    tokens.push({ type: 'punct', value: p, start, end: i });
  }
  return tokens;
}

function regexAllowed(prev: Token | undefined): boolean {
  if (!prev) return true;
  if (prev.type === 'ident') return EXPRESSION_KEYWORDS.has(prev.value);
  if (prev.type === 'punct') return ![')', ']', '}'].includes(prev.value);
  return false;
}

function skipRegex(text: string, i: number): number {
  let inClass = false;
  for (i++; i < text.length && text[i] !== '\n'; i++) {
    const c = text[i];
    if (c === '\\') { i++; continue; }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) { i++; break; }
  }
  while (i < text.length && /[a-z]/i.test(text[i]!)) i++;
  return i;
}

/** Skips a template literal, including `${ … }` expressions that may hold strings and templates. */
function skipTemplate(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') { i++; continue; }
    if (c === '`') return i + 1;
    if (c === '$' && text[i + 1] === '{') {
      let depth = 1;
      for (i += 2; i < text.length && depth > 0; i++) {
        const d = text[i];
        if (d === '{') depth++;
        else if (d === '}') depth--;
        else if (d === '`') i = skipTemplate(text, i) - 1;
        else if (d === '"' || d === "'") { for (i++; i < text.length && text[i] !== d; i++) if (text[i] === '\\') i++; }
      }
      i--;
    }
  }
  return text.length;
}

/** For each bracket token, the index of its partner (or -1). */
export function matchBrackets(tokens: Token[]): Int32Array {
  const match = new Int32Array(tokens.length).fill(-1);
  const open: number[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  tokens.forEach((t, i) => {
    if (t.type !== 'punct') return;
    if (t.value === '(' || t.value === '[' || t.value === '{') open.push(i);
    else if (pairs[t.value]) {
      // Pop to the nearest opener of the right kind: one stray bracket must not unpair the file.
      for (let k = open.length - 1; k >= 0; k--) {
        if (tokens[open[k]!]!.value === pairs[t.value]) {
          match[i] = open[k]!;
          match[open[k]!] = i;
          open.length = k;
          break;
        }
      }
    }
  });
  return match;
}
