import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync, statSync } from 'node:fs';
import { SightlineError } from '../../protocol';
import { literal } from '../store/sql';

export type TabularFormat = 'csv' | 'parquet' | 'jsonl';

/** Guesses a file's format from its name (`.csv[.gz]`, `.parquet`, `.jsonl`/`.ndjson`/`.json[.gz]`). */
export function formatOf(file: string): TabularFormat {
  const f = file.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (f.endsWith('.csv') || f.endsWith('.tsv')) return 'csv';
  if (f.endsWith('.parquet') || f.endsWith('.pq')) return 'parquet';
  if (f.endsWith('.jsonl') || f.endsWith('.ndjson') || f.endsWith('.json')) return 'jsonl';
  throw new SightlineError('bad_file', `cannot tell the format of ${file}: use a .csv, .parquet or .jsonl file`);
}

/** SQL relation that reads a data file with DuckDB (the path is quoted, never interpolated raw). */
export function fileRelation(file: string, format: TabularFormat = formatOf(file)): string {
  if (!existsSync(file)) throw new SightlineError('bad_file', `file not found: ${file}`);
  if (!statSync(file).isFile()) throw new SightlineError('bad_file', `${file} is not a file`);
  // An empty file read as CSV is one column and no rows: `import` once "imported 0 predictions".
  if (statSync(file).size === 0) throw new SightlineError('bad_file', `${file} is empty`);
  switch (format) {
    // The header is the first line (skip = 0): left to itself the sniffer skipped the first rows
    // of a ragged file and took a later row as the header, so `import` read 0 rows without an
    // error. Quoting is RFC 4180's double quote, so an unterminated quote is an error, not data.
    case 'csv': return `read_csv(${literal(file)}, header = true, auto_detect = true, skip = 0, quote = '"')`;
    case 'parquet': return `read_parquet(${literal(file)})`;
    case 'jsonl': return `read_json(${literal(file)}, format = 'newline_delimited', auto_detect = true)`;
  }
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/** Column names and DuckDB types of a relation; a malformed file becomes a typed error. */
export async function describe(conn: DuckDBConnection, relation: string, file: string): Promise<ColumnInfo[]> {
  let columns: ColumnInfo[];
  try {
    const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
    columns = r.getRowObjectsJS().map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  } catch (err) {
    throw new SightlineError('bad_file', `cannot read ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  // DuckDB's CSV sniffer falls back to one column per line when rows do not split consistently
  // (ragged rows, unbalanced quotes): a malformed file, for every command (was only in `import`;
  // `baseline add` and `drift` took such files).
  const only = columns.length === 1 ? columns[0]!.name : '';
  if (/\.(csv|tsv)(\.(gz|zst))?$/i.test(file) && /[,;\t|]/.test(only)) {
    throw new SightlineError('bad_file', `${file} is not well-formed CSV: its rows do not split into the same columns (the header ${JSON.stringify(only.slice(0, 100))} was read as a single column). Check for unbalanced quotes and rows with extra or missing fields.`);
  }
  return columns;
}

/**
 * Reads rows in pages so big files never sit in memory whole. DuckDB's streaming reader ends
 * quietly (no error) at a row it cannot read, so pass `expectedRows` (from a count) to turn a
 * short read into an error instead of a silently truncated result.
 */
export async function* readPages(conn: DuckDBConnection, sql: string, pageRows: number, expectedRows?: number): AsyncGenerator<Record<string, unknown>[]> {
  const result = await conn.stream(sql);
  let read = 0;
  const names = result.columnNames();
  let page: Record<string, unknown>[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const cols = chunk.getColumns();
    for (let i = 0; i < chunk.rowCount; i++) {
      const row: Record<string, unknown> = {};
      names.forEach((n, c) => { row[n] = plain(cols[c]![i]); });
      page.push(row);
      read++;
      if (page.length >= pageRows) {
        yield page;
        page = [];
      }
    }
  }
  if (page.length > 0) yield page;
  if (expectedRows !== undefined && read !== expectedRows) {
    throw new SightlineError('bad_file', `read ${read} of ${expectedRows} rows: the file could not be read past row ${read} (or changed while it was read)`);
  }
}

/** DuckDB values as plain JSON-able JS: BIGINT → number, timestamps/decimals/UUIDs → their text. */
export function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}
