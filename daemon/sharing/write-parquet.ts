import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ident, literal } from '../store/sql';
import { LINEAGE_TABLES } from './source';
import { PARQUET_MANIFEST, PARQUET_TABLES, parquetFeatureNames, type ParquetManifest } from './parquet-layout';

/**
 * A trace as a folder of Parquet that DuckDB, Spark and Trino read: predictions Hive-partitioned
 * by day and model (`predictions/date=YYYY-MM-DD/model=name@version/part-0.parquet`) with each
 * feature as a column named after it, and every other table as one plain file. UUIDs and JSON are
 * written as text (portable across engines); times are UTC timestamps. Reads only `trace`, a file
 * this process just wrote (tables only), so COPY may write files here.
 */
export async function writeParquetFolder(trace: string, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const db = await DuckDBInstance.create(trace, { access_mode: 'READ_ONLY', autoload_known_extensions: 'false', autoinstall_known_extensions: 'false' });
  const conn = await db.connect();
  try {
    await conn.run(`SET TimeZone = 'UTC'`);
    const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    const featureCols = (await rows(`SELECT feature, kind, column_name FROM feature_columns`)).map((r) => ({ feature: String(r.feature), kind: String(r.kind), column: String(r.column_name) }));
    featureCols.sort((a, b) => Number(a.column.split('_')[1]) - Number(b.column.split('_')[1]));
    const named = parquetFeatureNames(featureCols);

    const fixed = await portableColumns(conn, 'predictions', (c) => !/^[fa]_\d+$/.test(c));
    const features = named.map((f) => `${ident(f.column)} AS ${ident(f.parquet)}`);
    const n = Number((await rows(`SELECT count(*)::BIGINT AS n FROM predictions`))[0]?.n ?? 0);
    if (n > 0) {
      await conn.run(`COPY (SELECT ${[...fixed, ...features].join(', ')}, strftime(time, '%Y-%m-%d') AS date, model_name || '@' || model_version AS model FROM predictions ORDER BY time, id)
        TO ${literal(path.join(dir, 'predictions'))} (FORMAT parquet, PARTITION_BY (date, model), FILENAME_PATTERN 'part-{i}')`);
      decodeModelDirs(path.join(dir, 'predictions'));
    } else mkdirSync(path.join(dir, 'predictions'), { recursive: true });

    const lineage = new Set<string>(LINEAGE_TABLES);
    const files: string[] = [];
    for (const table of PARQUET_TABLES) {
      const exists = (await rows(`SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ${literal(table)}`))[0]?.n;
      if (!Number(exists) && lineage.has(table)) continue;
      const select = table === 'feature_columns'
        ? featureColumnsSql(named)
        : `SELECT ${(await portableColumns(conn, table, () => true)).join(', ')} FROM ${ident(table)}`;
      await conn.run(`COPY (${select}) TO ${literal(path.join(dir, `${table}.parquet`))} (FORMAT parquet)`);
      files.push(`${table}.parquet`);
    }
    const baselines = await rows(`SELECT name, table_name FROM baselines WHERE table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = 'main')`);
    mkdirSync(path.join(dir, 'baselines'), { recursive: true });
    for (const b of baselines) {
      const file = `baselines/${String(b.name)}.parquet`;
      await conn.run(`COPY (SELECT ${(await portableColumns(conn, String(b.table_name), () => true)).join(', ')} FROM ${ident(String(b.table_name))}) TO ${literal(path.join(dir, file))} (FORMAT parquet)`);
      files.push(file);
    }
    const version = Number((await rows(`SELECT value FROM meta WHERE key = 'schema_version'`))[0]?.value ?? 0);
    const manifest: ParquetManifest = {
      format: 'sightline-parquet', layout: 1, trace_schema_version: version,
      predictions: { path: 'predictions', partitioning: ['date', 'model'], rows: n },
      feature_columns: named.map((f) => ({ feature: f.feature, kind: f.kind as ParquetManifest['feature_columns'][number]['kind'], parquet_column: f.parquet })),
      tables: files,
    };
    writeFileSync(path.join(dir, PARQUET_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    return [PARQUET_MANIFEST, ...listFiles(dir, 'predictions').map((f) => `predictions/${f}`), ...files];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** feature → generated column → Parquet column, as a table (typed even when empty). */
function featureColumnsSql(named: { feature: string; kind: string; column: string; parquet: string }[]): string {
  const typed = `SELECT NULL::VARCHAR AS feature, NULL::VARCHAR AS kind, NULL::VARCHAR AS column_name, NULL::VARCHAR AS parquet_column WHERE false`;
  if (named.length === 0) return typed;
  return `${typed} UNION ALL SELECT * FROM (VALUES ${named.map((f) => `(${literal(f.feature)}, ${literal(f.kind)}, ${literal(f.column)}, ${literal(f.parquet)})`).join(', ')})`;
}

/** The columns of a table with UUID and JSON cast to VARCHAR (Spark and Trino read text everywhere). */
async function portableColumns(conn: DuckDBConnection, table: string, keep: (name: string) => boolean): Promise<string[]> {
  const cols = (await conn.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ${literal(table)} ORDER BY ordinal_position`)).getRowObjectsJson();
  return cols
    .filter((c) => keep(String(c.column_name)))
    .map((c) => (['UUID', 'JSON'].includes(String(c.data_type)) ? `CAST(${ident(String(c.column_name))} AS VARCHAR) AS ${ident(String(c.column_name))}` : ident(String(c.column_name))));
}

/** DuckDB percent-encodes `@` in partition values; Hive readers accept it raw: `model=name@version`. */
function decodeModelDirs(root: string): void {
  for (const day of readdirSync(root)) {
    for (const m of readdirSync(path.join(root, day))) {
      if (m.includes('%40')) renameSync(path.join(root, day, m), path.join(root, day, m.replaceAll('%40', '@')));
    }
  }
}

function listFiles(root: string, rel: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  walk(path.join(root, rel), '');
  return out.sort();
}
