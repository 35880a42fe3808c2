import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError } from '../../protocol';
import { ident, literal } from '../store/sql';
import type { FeatureColumn, TraceStore } from '../store/trace-store';

/** Tables every trace has; a shared file must hold them as tables, never as views or macros' results. */
export const CORE_TABLES = ['meta', 'models', 'feature_columns', 'predictions', 'labels', 'baselines', 'runs', 'findings'] as const;
export const LINEAGE_TABLES = ['components', 'component_runs', 'artifacts', 'run_io', 'flags'] as const;

/** Fixed columns of `predictions` that may carry personal data and can be redacted. */
export const REDACTABLE_COLUMNS = ['join_key', 'request_id'] as const;
/** Fixed columns Sightline needs as they are. */
export const STRUCTURAL_COLUMNS = ['id', 'time', 'model_id', 'model_name', 'model_version', 'source', 'execution_provider', 'latency_ms', 'score', 'label_pred', 'outputs', 'raw'];

export interface BaselineTable {
  name: string;
  table: string;
  columns: { name: string; type: string }[];
}

/** Feature columns in the order they were added (`f_1`, `a_2`, … by their number). */
export function orderedFeatureColumns(store: TraceStore): FeatureColumn[] {
  const n = (c: string): number => Number(/_(\d+)$/.exec(c)?.[1] ?? 0);
  return store.allFeatureColumns().sort((a, b) => n(a.column) - n(b.column) || a.column.localeCompare(b.column));
}

/**
 * Refuses a trace whose tables are views (or missing): a crafted file could define `predictions`
 * as a view over `read_csv('/etc/passwd')`. Reads run with external access disabled anyway; this
 * makes the refusal explicit and keeps exports from copying anything but stored rows.
 */
export async function assertBaseTables(conn: DuckDBConnection, catalog: string | null, tables: readonly string[], what: string): Promise<void> {
  if (tables.length === 0) return;
  const rows = (await conn.runAndReadAll(
    `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'${catalog ? ` AND table_catalog = ${literal(catalog)}` : ''} AND table_name IN (${tables.map(literal).join(', ')})`,
  )).getRowObjectsJson() as { table_name: string; table_type: string }[];
  for (const t of tables) {
    const row = rows.find((r) => r.table_name === t);
    if (!row) throw new SightlineError('bad_file', `${what} has no table "${t}"; it is not a complete Sightline trace`);
    if (row.table_type !== 'BASE TABLE') throw new SightlineError('bad_file', `${what}: "${t}" is a ${row.table_type.toLowerCase()}, not a table; refusing to read a trace that computes its data (a crafted file?)`);
  }
}

export async function hasTables(store: TraceStore, tables: readonly string[]): Promise<boolean> {
  const rows = await store.query<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name IN (${tables.map(literal).join(', ')})`,
  );
  return Number(rows[0]?.n ?? 0) === tables.length;
}

export async function baselineTables(store: TraceStore): Promise<BaselineTable[]> {
  const rows = await store.query<{ name: string; table_name: string }>(`SELECT name, table_name FROM baselines WHERE table_name IS NOT NULL ORDER BY name`);
  const out: BaselineTable[] = [];
  for (const r of rows) {
    const cols = await store.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ${literal(r.table_name)} ORDER BY ordinal_position`,
    );
    if (cols.length === 0) continue; // registered, rows not stored (an upgraded old file)
    out.push({ name: String(r.name), table: String(r.table_name), columns: cols.map((c) => ({ name: String(c.column_name), type: String(c.data_type) })) });
  }
  return out;
}

/** Top-level keys of the raw input records (a sample), for `--redact` and the PII checks. */
export async function rawKeys(store: TraceStore, where: string): Promise<string[]> {
  const rows = await store.query<{ k: string }>(
    `SELECT DISTINCT k FROM (SELECT unnest(json_keys(raw)) AS k FROM (SELECT p.raw FROM predictions p WHERE ${where} AND p.raw IS NOT NULL AND json_type(p.raw) = 'OBJECT') USING SAMPLE reservoir(5000 ROWS) REPEATABLE (7)) ORDER BY k`,
  );
  return rows.map((r) => String(r.k));
}

/** The generated column of a feature as a qualified identifier (`p."f_3"`). */
export function col(alias: string, name: string): string {
  return `${alias}.${ident(name)}`;
}

/** Raw keys that hold the row's join key (in ≥ 90 % of sampled rows that have both). */
export async function joinKeyAliases(store: TraceStore, where: string, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const sample = `(SELECT * FROM (SELECT p.raw, p.join_key FROM predictions p WHERE ${where} AND p.raw IS NOT NULL AND p.join_key IS NOT NULL AND json_type(p.raw) = 'OBJECT') USING SAMPLE reservoir(2000 ROWS) REPEATABLE (7))`;
  const cols = keys.map((k, i) => `avg(CASE WHEN raw ->> ${literal(k)} = join_key THEN 1.0 WHEN raw ->> ${literal(k)} IS NULL THEN NULL ELSE 0.0 END) AS s${i}`);
  const row = (await store.query<Record<string, unknown>>(`SELECT ${cols.join(', ')} FROM ${sample}`))[0] ?? {};
  return keys.filter((_, i) => Number(row[`s${i}`] ?? 0) >= 0.9);
}
