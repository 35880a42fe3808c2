import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { SightlineError, TRACE_SCHEMA_VERSION, fromZodError } from '../../protocol';
import { ident, literal } from '../store/sql';
import { TraceStore } from '../store/trace-store';
import { PARQUET_MANIFEST, PARQUET_TABLES, ParquetManifest } from './parquet-layout';

const BASELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * A Parquet export folder as an in-memory trace: the manifest is checked, the fixed set of files
 * is read with DuckDB (`read_parquet(…, hive_partitioning = true)` for predictions) into the
 * store's own tables, and then external access is switched off and the configuration locked, so
 * analyses on it cannot touch local files. Only file names this code chooses are read.
 */
export async function openParquetFolder(dir: string): Promise<TraceStore> {
  const manifestFile = path.join(dir, PARQUET_MANIFEST);
  if (!existsSync(manifestFile)) throw new SightlineError('bad_file', `${dir} is a folder but not a Sightline Parquet export (no ${PARQUET_MANIFEST}); export one with \`sightline export TRACE --format parquet --out DIR\``);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch (err) {
    throw new SightlineError('bad_file', `${manifestFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = ParquetManifest.safeParse(json);
  if (!parsed.success) throw fromZodError(parsed.error, `${PARQUET_MANIFEST} of ${dir}`);
  const manifest = parsed.data;
  if (manifest.trace_schema_version > TRACE_SCHEMA_VERSION) {
    throw new SightlineError('schema_too_new', `${dir} was exported from trace schema version ${manifest.trace_schema_version}, but this Sightline reads up to version ${TRACE_SCHEMA_VERSION}. Upgrade Sightline to open it.`);
  }

  const store = await TraceStore.open(':memory:');
  try {
    await store.ensureFeatureColumns(manifest.feature_columns.map((f) => ({ name: f.feature, kind: f.kind })));
    const file = (rel: string): string => literal(path.join(path.resolve(dir), rel));
    const has = (rel: string): boolean => existsSync(path.join(dir, rel)) && statSync(path.join(dir, rel)).isFile();
    await store.conn.run('BEGIN TRANSACTION');
    for (const table of PARQUET_TABLES) {
      if (table === 'feature_columns' || !has(`${table}.parquet`)) continue;
      if (table === 'meta') await store.conn.run('DELETE FROM meta');
      await store.conn.run(`INSERT INTO ${ident(table)} BY NAME SELECT * FROM read_parquet(${file(`${table}.parquet`)})`);
    }
    if (hasParquet(path.join(dir, 'predictions'))) {
      // Fixed columns both sides know (a newer export may carry more; partition keys are derived),
      // then the features from their named columns into the generated ones.
      const glob = literal(path.join(path.resolve(dir), 'predictions', '**', '*.parquet'));
      const relation = `read_parquet(${glob}, hive_partitioning = true, union_by_name = true)`;
      const inFiles = new Set((await store.query<{ column_name: string }>(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${relation})`)).map((c) => String(c.column_name)));
      const featureNames = new Set(manifest.feature_columns.map((f) => f.parquet_column));
      const target = (await store.predictionColumns()).filter((c) => !/^[fa]_\d+$/.test(c) && inFiles.has(c) && !featureNames.has(c));
      const exprs = target.map((c) => ident(c));
      for (const f of manifest.feature_columns) {
        if (!inFiles.has(f.parquet_column)) continue;
        target.push(store.featureColumn(f.feature, f.kind)!.column);
        exprs.push(ident(f.parquet_column));
      }
      await store.conn.run(`INSERT INTO predictions (${target.map(ident).join(', ')}) SELECT ${exprs.join(', ')} FROM ${relation}`);
    }
    const baselines = await store.query<{ name: string; table_name: string }>('SELECT name, table_name FROM baselines');
    for (const b of baselines) {
      if (!BASELINE_NAME.test(b.name) || b.table_name !== `baseline__${b.name}` || !has(`baselines/${b.name}.parquet`)) continue;
      await store.conn.run(`CREATE TABLE ${ident(b.table_name)} AS SELECT * FROM read_parquet(${file(`baselines/${b.name}.parquet`)})`);
    }
    await store.conn.run('COMMIT');
    await store.conn.run('SET enable_external_access = false');
    await store.conn.run('SET lock_configuration = true');
    return store;
  } catch (err) {
    store.close();
    if (err instanceof SightlineError) throw err;
    throw new SightlineError('bad_file', `cannot read the Parquet export ${dir}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}

function hasParquet(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.parquet'));
}

/** A trace file (read-only) or a Parquet export folder (in memory), whichever `target` is. */
export async function openTraceOrFolder(target: string): Promise<TraceStore> {
  if (existsSync(target) && statSync(target).isDirectory()) return openParquetFolder(target);
  return TraceStore.open(target, { readOnly: true });
}

/** Size on disk of a trace file or export folder. */
export function onDiskBytes(target: string): number {
  const st = statSync(target);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const f of readdirSync(target, { recursive: true })) {
    const p = path.join(target, String(f));
    const s = statSync(p);
    if (s.isFile()) total += s.size;
  }
  return total;
}
