/**
 * Safe SQL text for DuckDB: identifiers and string literals.
 *
 * Feature names come from user data (column names of captured traffic), so they are never
 * pasted into SQL raw: every identifier is double-quoted with embedded quotes doubled, and
 * every value travels as a single-quoted literal with embedded quotes doubled (DuckDB's
 * standard strings have no backslash escapes, so doubling is the whole escape).
 */

import { SightlineError } from '../../protocol';

/**
 * `"name"` with embedded `"` doubled; rejects NUL, which no DuckDB identifier can hold. The refusal
 * is typed (`bad_value`): the names and values come from requests and files, and a NUL in one
 * answered 500 internal (found by the protocol fuzzer: attribute names, model names, run components).
 */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new SightlineError('bad_value', `the name ${JSON.stringify(name.slice(0, 60))} contains a NUL character (U+0000), which names may not hold`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** `'text'` with embedded `'` doubled. */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new SightlineError('bad_value', `the text ${JSON.stringify(text.slice(0, 60))} contains a NUL character (U+0000), which Sightline does not store`);
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
