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
  switch (format) {
    case 'csv': return `read_csv(${literal(file)}, header = true, auto_detect = true)`;
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
  try {
    const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
    return r.getRowObjectsJS().map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  } catch (err) {
    throw new SightlineError('bad_file', `cannot read ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
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
