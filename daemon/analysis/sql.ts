/**
 * Safe SQL text for DuckDB: identifiers and string literals.
 *
 * Feature names come from user data (column names of captured traffic), so they are never
 * pasted into SQL raw: every identifier is double-quoted with embedded quotes doubled, and
 * every value travels as a single-quoted literal with embedded quotes doubled (DuckDB's
 * standard strings have no backslash escapes, so doubling is the whole escape).
 */

/** `"name"` with embedded `"` doubled; rejects NUL, which no DuckDB identifier can hold. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new Error('SQL identifier contains a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}

/** `'text'` with embedded `'` doubled. */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('SQL string literal contains a NUL character');
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * A relation for `computeDrift`, `inferSchema`, … from a (possibly qualified) table or view
 * name, each part quoted: `tableRelation('main', 'predictions')` → `"main"."predictions"`.
 */
export function tableRelation(...parts: string[]): string {
  if (parts.length === 0) throw new Error('tableRelation needs at least one name part');
  return parts.map(quoteIdentifier).join('.');
}

/**
 * A relation from a trusted SELECT statement (code of this project, never user text):
 * wrapped in parentheses so that it can stand after FROM.
 */
export function queryRelation(select: string): string {
  return `(${select})`;
}

/** A DOUBLE literal that round-trips exactly (JS prints the shortest round-trip decimal). */
export function doubleLiteral(value: number): string {
  if (Number.isNaN(value)) return `'nan'::DOUBLE`;
  if (value === Infinity) return `'inf'::DOUBLE`;
  if (value === -Infinity) return `'-inf'::DOUBLE`;
  return `'${String(value)}'::DOUBLE`;
}
