import { inferFeatureKinds, inferSchema, type DataSchema } from '../analysis';
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

/**
 * Registers reference data (usually the training feature table) as a named baseline: its rows
 * are copied into the trace (`baseline__<name>`) and its data schema is profiled once, so every
 * later drift, skew and quality run reads the copy and the stored profile, never the source.
 */
export async function addBaseline(
  store: TraceStore,
  spec: { name: string; file: string; categorical?: string[]; replace?: boolean },
): Promise<BaselineInfo> {
  store.assertWritable();
  if (!NAME.test(spec.name)) throw new SightlineError('invalid_request', `baseline name ${JSON.stringify(spec.name)} must be 1–100 letters, digits, '_', '.', '-'`);
  const relation = fileRelation(spec.file);
  await describe(store.conn, relation, spec.file); // a malformed file is refused before anything is written
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
        await store.conn.run(`CREATE TABLE ${ident(table)} AS SELECT * FROM ${relation}`);
      } catch (err) {
        throw new SightlineError('bad_file', `cannot read ${spec.file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
      const overrides = Object.fromEntries((spec.categorical ?? []).map((c) => [c, 'categorical' as const]));
      const kinds = await inferFeatureKinds(store.conn, ident(table), { overrides });
      const profile = await inferSchema(store.conn, ident(table), kinds.map((k) => ({ name: k.name, kind: k.kind })));
      await store.conn.run(
        `INSERT INTO baselines (name, source, table_name, rows, profile) VALUES (${literal(spec.name)}, ${literal(spec.file)}, ${literal(table)}, ${profile.row_count}, ${literal(JSON.stringify(profile))})`,
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
