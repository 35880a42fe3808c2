import { lineStartsOf, positionAt, type Candidate } from './candidate';
import { matchBrackets, tokenize, type Token } from './ts-tokens';

/** What a `{` opens: keys count only in object literals, never in types, blocks or classes. */
type Brace = 'object' | 'block' | 'type' | 'class' | 'enum';

const OBJECT_AFTER = new Set(['=', '(', ',', '[', '?', '||', '&&', '??', '...', '!', '+', '-']);
const TYPE_AFTER = new Set(['<', '|', '&']);
const CLASS_MODIFIERS = new Set(['static', 'async', 'public', 'private', 'protected', 'readonly', 'override', 'get', 'set']);

/**
 * Feature definitions in TypeScript/JavaScript: `function f(`, a top-level `const f =`, a class
 * method `f(`, an object-literal method or key `f:` (a function-valued key counts as a function),
 * `row.f = …` and `row["f"] = …`. Interface and type members are skipped.
 */
export function discoverTypeScript(text: string, names: ReadonlySet<string>): Candidate[] {
  const tokens = tokenize(text);
  const match = matchBrackets(tokens);
  const starts = lineStartsOf(text);
  const out: Candidate[] = [];
  const stack: Brace[] = [];
  let pending: Brace | null = null;
  const line = (t: Token): number => positionAt(starts, t.start).line;
  const add = (t: Token, endTok: Token, kind: Candidate['kind']): void => {
    const { line: l, column } = positionAt(starts, t.type === 'string' ? t.start + 1 : t.start);
    out.push({ name: t.value, line: l, column, endColumn: column + t.value.length, endLine: Math.max(l, line(endTok)), kind });
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    const top = stack[stack.length - 1];
    if (t.type === 'punct') {
      if (t.value === '{') {
        stack.push(pending ?? classify(prev, top));
        pending = null;
      } else if (t.value === '}') stack.pop();
      else if (t.value === ';') pending = null;
      continue;
    }
    if (t.type === 'ident') {
      if (t.value === 'interface' && next?.type === 'ident') pending = 'type';
      else if (t.value === 'type' && next?.type === 'ident' && (tokens[i + 2]?.value === '=' || tokens[i + 2]?.value === '<')) pending = 'type';
      else if (t.value === 'class' && prev?.value !== '.') pending = 'class';
      else if (t.value === 'enum') pending = 'enum';
      else if (t.value === 'function' || t.value === 'const' || t.value === 'let' || t.value === 'var') pending = null;
    }
    if (!names.has(t.value) || (t.type !== 'ident' && t.type !== 'string')) continue;

    if (t.type === 'ident' && (prev?.value === 'function' || (prev?.value === '*' && tokens[i - 2]?.value === 'function'))) {
      add(t, tokens[bodyEnd(tokens, match, i)]!, 'function');
    } else if (t.type === 'ident' && stack.length === 0 && ['const', 'let', 'var'].includes(prev?.value ?? '') && (next?.value === '=' || next?.value === ':')) {
      add(t, tokens[statementEnd(tokens, match, i, line)]!, 'function');
    } else if (t.type === 'ident' && top === 'class' && isMemberStart(prev) && (next?.value === '(' || next?.value === '<' || next?.value === '=')) {
      add(t, tokens[next.value === '=' ? statementEnd(tokens, match, i, line) : bodyEnd(tokens, match, i)]!, 'function');
    } else if (top === 'object' && (prev?.value === '{' || prev?.value === ',') && next?.value === ':') {
      const fn = isFunctionValue(tokens, match, i + 2);
      add(t, tokens[statementEnd(tokens, match, i, line)]!, fn ? 'function' : 'key');
    } else if (t.type === 'ident' && top === 'object' && (prev?.value === '{' || prev?.value === ',') && next?.value === '(') {
      add(t, tokens[bodyEnd(tokens, match, i)]!, 'function'); // method shorthand `{ f(raw) { … } }`
    } else if (t.type === 'ident' && (prev?.value === '.' || prev?.value === '?.') && next?.value === '=') {
      add(t, tokens[statementEnd(tokens, match, i, line)]!, 'assignment');
    } else if (t.type === 'string' && prev?.value === '[' && next?.value === ']' && tokens[i + 2]?.value === '=') {
      add(t, tokens[statementEnd(tokens, match, i, line)]!, 'assignment');
    }
  }
  return out;
}

function classify(prev: Token | undefined, enclosing: Brace | undefined): Brace {
  if (!prev) return 'block';
  if (enclosing === 'type') return 'type';
  if (prev.type === 'punct') {
    if (prev.value === ':') return enclosing === 'object' ? 'object' : 'type';
    if (OBJECT_AFTER.has(prev.value)) return 'object';
    if (TYPE_AFTER.has(prev.value)) return 'type';
    return 'block';
  }
  if (prev.type === 'ident') {
    if (['return', 'yield', 'await', 'default', 'case', 'throw'].includes(prev.value)) return 'object';
    if (['as', 'satisfies', 'extends', 'implements', 'keyof'].includes(prev.value)) return 'type';
  }
  return 'block';
}

function isMemberStart(prev: Token | undefined): boolean {
  return !prev || ['{', ';', '}'].includes(prev.value) || (prev.type === 'ident' && CLASS_MODIFIERS.has(prev.value));
}

/** `function …`, `async (…) =>`, `(…) =>`, `x =>`: a key whose value is a function is a definition. */
function isFunctionValue(tokens: Token[], match: Int32Array, i: number): boolean {
  let t = tokens[i];
  if (t?.value === 'async') t = tokens[++i];
  if (!t) return false;
  if (t.value === 'function') return true;
  if (t.value === '(' && match[i]! > 0) return tokens[match[i]! + 1]?.value === '=>' || tokens[match[i]! + 1]?.value === ':';
  return t.type === 'ident' && tokens[i + 1]?.value === '=>';
}

/** The `}` closing the body of the function whose name is at `i` (its parameters come first). */
function bodyEnd(tokens: Token[], match: Int32Array, i: number): number {
  let j = i + 1;
  while (j < tokens.length && tokens[j]!.value !== '(' && tokens[j]!.value !== '{') j++;
  if (tokens[j]?.value === '(' && match[j]! > 0) j = match[j]! + 1;
  while (j < tokens.length && tokens[j]!.value !== '{' && tokens[j]!.value !== ';') j = tokens[j]!.value === '(' && match[j]! > 0 ? match[j]! + 1 : j + 1;
  if (tokens[j]?.value === '{' && match[j]! > 0) return match[j]!;
  return Math.min(j, tokens.length - 1);
}

/**
 * The last token of the statement (or object member) starting at `i`: a `;` or `,` at its own
 * nesting level, the bracket that closes the enclosing one, or a `}` that ends a function value
 * followed by a token on a later line (automatic semicolon insertion).
 */
function statementEnd(tokens: Token[], match: Int32Array, i: number, lineOf: (t: Token) => number): number {
  for (let j = i + 1; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.value === ';' || t.value === ',') return j - 1;
    if (t.value === '(' || t.value === '[' || t.value === '{') {
      if (match[j]! < 0) return tokens.length - 1;
      j = match[j]!;
      const after = tokens[j + 1];
      if (t.value === '{' && after && after.type !== 'punct' && lineOf(after) > lineOf(tokens[j]!)) return j;
      continue;
    }
    if (t.value === ')' || t.value === ']' || t.value === '}') return j - 1;
  }
  return tokens.length - 1;
}
