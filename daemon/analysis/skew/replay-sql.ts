/**
 * SQL of replay skew: the raw records that go to the offline feature command as JSON lines,
 * and the relation over the JSON lines it prints. Everything stays in DuckDB: the raw lines are
 * rendered by DuckDB (JavaScript only streams them to the command's stdin), and the output is
 * read with `read_json_objects`, each column extracted by JSON Pointer as text — no type
 * inference, so a feature printed as 0 on one line and 0.5 on the next, or a key printed as a
 * number, is still read exactly (numbers are then TRY_CAST like any other column).
 */
import { quoteIdentifier, quoteLiteral } from '../sql.js';

/** SQL: one `line` (VARCHAR) per row of a file relation: the row as a JSON object. */
export function rawLinesFromRelationSql(relation: string): string {
  return `SELECT to_json(raw_rows)::VARCHAR AS line FROM ${relation} AS raw_rows`;
}

/**
 * SQL: one `line` per logged prediction with a raw input (`predictions.raw`, kept by
 * `serve --log-raw`), from the predictions of a window relation (with `__id` and `__join_key`).
 * The prediction's join key is added under `key` when the raw record has no such field, so a
 * transform that passes the key through can be joined back to what was served.
 */
export function rawLinesFromLogSql(windowRelation: string, key: string): string {
  return `SELECT json_merge_patch(json_object(${quoteLiteral(key)}, w.__join_key), p.raw)::VARCHAR AS line
    FROM ${windowRelation} AS w JOIN predictions AS p ON p.id = w.__id
    WHERE p.raw IS NOT NULL`;
}

/** SQL: how many predictions of a window relation there are, and how many kept their raw input. */
export function loggedRawCountSql(windowRelation: string): string {
  return `SELECT count(*) AS predictions, count(p.raw) AS with_raw
    FROM ${windowRelation} AS w JOIN predictions AS p ON p.id = w.__id`;
}

/** A JSON Pointer (RFC 6901) to a top-level member: `/name`, with `~` → `~0` and `/` → `~1`. */
export function jsonPointer(member: string): string {
  return `/${member.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** Table function reading newline-delimited JSON values (one per non-empty line), column `json`. */
export function jsonLinesSql(file: string): string {
  return `read_json_objects(${quoteLiteral(file)}, format = 'newline_delimited')`;
}

/**
 * SQL: one row describing the transform's output: `lines` (JSON values), `non_objects` (values
 * that are not objects) and `members` (sorted distinct member names over all objects).
 * Malformed JSON makes DuckDB raise, which the caller reports.
 */
export function outputSummarySql(file: string): string {
  return `WITH output AS MATERIALIZED (SELECT json FROM ${jsonLinesSql(file)})
SELECT
  (SELECT count(*) FROM output) AS lines,
  (SELECT count(*) FROM output WHERE json_type(json) <> 'OBJECT') AS non_objects,
  (SELECT list(DISTINCT member ORDER BY member)
     FROM (SELECT unnest(json_keys(json)) AS member FROM output WHERE json_type(json) = 'OBJECT') AS members) AS members`;
}

/**
 * Relation over the transform's output: the named members of each JSON object as VARCHAR
 * columns of the same names (missing member or JSON null → NULL).
 */
export function outputRelation(file: string, members: readonly string[]): string {
  const columns = members.map((m) => `json ->> ${quoteLiteral(jsonPointer(m))} AS ${quoteIdentifier(m)}`);
  return `(SELECT ${columns.length ? columns.join(', ') : 'NULL AS __none'} FROM ${jsonLinesSql(file)} AS transform_output WHERE json_type(json) = 'OBJECT')`;
}
