import { inferFeatureKinds, inferSchema, type DataSchema } from '../analysis';
import { StatementType } from '@duckdb/node-api';
import { SightlineError } from '../../protocol';
import { describe, fileRelation } from '../io/tabular';
import { ident, literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';

export interface BaselineInfo {
  name: string;
  source: string;
  table: string;
  rows: number;
  created: string;
  profile: DataSchema;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** A query is the user's own SQL on their own machine, but kept to a sane size. */
export const MAX_QUERY_CHARS = 100_000;

export interface AddBaselineSpec {
  name: string;
  /** A CSV, Parquet or JSONL file … */
  file?: string;
  /** … or one SELECT (e.g. `SELECT * FROM 'train.parquet' WHERE month <= 2`), exactly one of the two. */
  query?: string;
  /**
   * The folder relative paths in `query` are read from (the CLI's working folder when a daemon
   * runs the query for it); default: this process's.
   */
  cwd?: string;
  categorical?: string[];
  replace?: boolean;
}

/**
 * Registers reference data (usually the training feature table) as a named baseline: its rows
 * are copied into the trace (`baseline__<name>`) and its data schema is profiled once, so every
 * later drift, skew and quality run reads the copy and the stored profile, never the source.
 *
 * The rows come from a file or from a query. A query must be a single SELECT (checked with
 * DuckDB's own parser, then run only as the subquery of `CREATE TABLE … AS SELECT * FROM (…)`,
 * so nothing but a SELECT can run); one that fails, returns no rows or no column of a usable type
 * is refused with `invalid_request` and a message saying what to fix. Either way the table and
 * the `baselines` row are written in one transaction: a refusal leaves nothing behind (and an
 * existing baseline being replaced stays as it was).
 */
export async function addBaseline(store: TraceStore, spec: AddBaselineSpec): Promise<BaselineInfo> {
  store.assertWritable();
  if (!NAME.test(spec.name)) throw new SightlineError('invalid_request', `baseline name ${JSON.stringify(spec.name)} must be 1–100 letters, digits, '_', '.', '-'`);
  if ((spec.file === undefined) === (spec.query === undefined)) {
    throw new SightlineError('invalid_request', 'give the baseline\'s rows as either a FILE or --query "SELECT …", not both and not neither', ['file']);
  }
  let relation: string;
  let source: string;
  if (spec.query !== undefined) {
    relation = `(${await checkedQuery(store, spec.query, spec.cwd)}) AS baseline_query`;
    source = `query: ${spec.query.trim()}`;
  } else {
    relation = fileRelation(spec.file!);
    source = spec.file!;
    await describe(store.conn, relation, spec.file!); // a malformed file is refused before anything is written
  }
  const table = `baseline__${spec.name}`;
  const existing = await getBaseline(store, spec.name);
  if (existing && !spec.replace) throw new SightlineError('conflict', `baseline "${spec.name}" already exists; pass --replace to overwrite it`);
  return store.exclusive(async () => {
    await store.conn.run('BEGIN TRANSACTION');
    try {
      if (existing) {
        await store.conn.run(`DROP TABLE IF EXISTS ${ident(existing.table)}`);
        await store.conn.run(`DELETE FROM baselines WHERE name = ${literal(spec.name)}`);
      }
      try {
        await withSearchPath(store, spec.query !== undefined ? spec.cwd : undefined, () => store.conn.run(`CREATE TABLE ${ident(table)} AS SELECT * FROM ${relation}`));
      } catch (err) {
        const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
        if (spec.query !== undefined) throw queryError(`the baseline query failed: ${reason}; fix the query (try it with \`duckdb -c\`) and add the baseline again`);
        throw new SightlineError('bad_file', `cannot read ${spec.file}: ${reason}`);
      }
      const overrides = Object.fromEntries((spec.categorical ?? []).map((c) => [c, 'categorical' as const]));
      const kinds = await inferFeatureKinds(store.conn, ident(table), { overrides });
      const profile = await inferSchema(store.conn, ident(table), kinds.map((k) => ({ name: k.name, kind: k.kind })));
      if (spec.query !== undefined) {
        if (profile.row_count === 0) throw queryError('the baseline query returned no rows: loosen its WHERE clause (or check the file it reads) so that it selects the reference rows');
        if (profile.features.length === 0) {
          const columns = await store.query<{ column_name: string; column_type: string }>(`DESCRIBE ${ident(table)}`);
          throw queryError(`the baseline query returned no column that can be profiled (numbers, text, booleans; cast dates and nested values to one of these): got ${columns.map((c) => `${c.column_name} ${c.column_type}`).join(', ').slice(0, 300)}`);
        }
      }
      await store.conn.run(
        `INSERT INTO baselines (name, source, table_name, rows, profile) VALUES (${literal(spec.name)}, ${literal(source)}, ${literal(table)}, ${profile.row_count}, ${literal(JSON.stringify(profile))})`,
      );
      await store.conn.run('COMMIT');
    } catch (err) {
      await store.conn.run('ROLLBACK');
      throw err;
    }
    const info = await getBaselineUnlocked(store, spec.name);
    return info!;
  });
}

function queryError(message: string): SightlineError {
  return new SightlineError('invalid_request', message, ['query']);
}

/**
 * The query as it will run: exactly one statement (DuckDB's parser counts them, so a `;` inside
 * a string is no separator; one trailing `;` is allowed), and a SELECT (FROM-first, WITH and
 * VALUES queries are SELECTs). It is then only ever run as a subquery, which DuckDB's grammar
 * allows only for a SELECT. It is bound here, outside the write transaction, so that a missing
 * file or column is refused before anything is written.
 */
async function checkedQuery(store: TraceStore, query: string, cwd: string | undefined): Promise<string> {
  const sql = query.trim().replace(/;\s*$/, '').trim();
  if (sql === '') throw queryError('the baseline query is empty: give one SELECT, e.g. --query "SELECT * FROM \'train.parquet\' WHERE month <= 2"');
  if (sql.length > MAX_QUERY_CHARS) throw queryError(`the baseline query is ${sql.length} characters long, more than ${MAX_QUERY_CHARS}: put the rows in a file, or select them with a shorter query`);
  let type: StatementType | null = null;
  let count = 0;
  try {
    const extracted = await store.conn.extractStatements(sql);
    count = extracted.count;
    if (count === 1) type = (await withSearchPath(store, cwd, () => extracted.prepare(0))).statementType;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0]!.replace(/^Failed to extract statements: /, '') : String(err);
    throw queryError(`the baseline query failed: ${reason}; fix the query (try it with \`duckdb -c\`) and add the baseline again`);
  }
  if (count !== 1) throw queryError(`the baseline query holds ${count} statements; give exactly one SELECT (no ';' between statements)`);
  if (type !== StatementType.SELECT) throw queryError(`the baseline query must be a SELECT (it is ${StatementType[type!] ?? 'another statement'}): it only reads the reference rows, e.g. SELECT * FROM 'train.parquet' WHERE month <= 2`);
  // A statement that reports itself as SELECT but cannot stand as a subquery (PRAGMA, for one)
  // fails here with DuckDB's parser error, before anything is written. (DESCRIBE and SHOW can:
  // they only read, so they are as good as any SELECT.)
  try {
    await withSearchPath(store, cwd, () => store.conn.run(`DESCRIBE SELECT * FROM (${sql}\n) AS baseline_query`));
  } catch (err) {
    throw queryError(`the baseline query cannot be read as a SELECT: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; give one SELECT (a PRAGMA is not one)`);
  }
  return `${sql}\n`;
}

/**
 * Runs `fn` with relative paths resolved from `cwd` (DuckDB's `file_search_path`), then puts the
 * setting back: the daemon runs a CLI's query from its own working folder.
 */
async function withSearchPath<T>(store: TraceStore, cwd: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (!cwd) return fn();
  const [before] = await store.query<{ v: unknown }>(`SELECT current_setting('file_search_path') AS v`);
  await store.conn.run(`SET file_search_path = ${literal(cwd)}`);
  try {
    return await fn();
  } finally {
    await store.conn.run(`SET file_search_path = ${literal(String(before?.v ?? ''))}`);
  }
}

export async function getBaseline(store: TraceStore, name: string): Promise<BaselineInfo | null> {
  return getBaselineUnlocked(store, name);
}

async function getBaselineUnlocked(store: TraceStore, name: string): Promise<BaselineInfo | null> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT name, source, table_name, rows, created::VARCHAR AS created, profile FROM baselines WHERE name = ${literal(name)}`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    name: String(r.name), source: String(r.source), table: String(r.table_name), rows: Number(r.rows), created: String(r.created),
    profile: (typeof r.profile === 'string' ? JSON.parse(r.profile) : r.profile) as DataSchema,
  };
}

export async function listBaselines(store: TraceStore): Promise<Omit<BaselineInfo, 'profile'>[]> {
  const rows = await store.query<Record<string, unknown>>(`SELECT name, source, table_name, rows, created::VARCHAR AS created FROM baselines ORDER BY name`);
  return rows.map((r) => ({ name: String(r.name), source: String(r.source), table: String(r.table_name), rows: Number(r.rows), created: String(r.created) }));
}

export async function requireBaseline(store: TraceStore, name: string): Promise<BaselineInfo> {
  const b = await getBaseline(store, name);
  if (!b) {
    const known = (await listBaselines(store)).map((x) => x.name);
    throw new SightlineError('not_found', `no baseline "${name}" in ${store.path} (known: ${known.join(', ') || 'none'}); add one with \`sightline baseline add ${name} FILE --trace ${store.path}\``);
  }
  // The table its rows live in comes from the file: a damaged or crafted trace may name one that
  // is not there (it answered 500 internal with DuckDB's catalog error; found by the security tests).
  const t = await store.query<{ n: number }>(`SELECT count(*)::INT AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name = ${literal(b.table)}`);
  if (Number(t[0]?.n ?? 0) === 0) throw new SightlineError('bad_file', `baseline "${name}" in ${store.path} keeps its rows in table ${JSON.stringify(b.table).slice(0, 120)}, which the file does not hold; the trace is damaged or was altered`);
  return b;
}
