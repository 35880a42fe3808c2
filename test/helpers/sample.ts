import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FeatureRecord, ModelCard } from '../../protocol';
import { ROOT, SAMPLE } from './daemon';
import { runToEnd, sleep } from './process';

/** The sample model v1's card (its sidecar file): feature names and kinds. */
export const CARD_V1: ModelCard = JSON.parse(readFileSync(path.join(SAMPLE, 'models', 'flights-delay-v1.sightline.json'), 'utf8'));
export const FEATURES: string[] = CARD_V1.features.map((f) => f.name);

/** `n` rows of the sample's training feature table (a deterministic hash sample, so all of Jan–Feb) as predict records. */
export async function sampleRecords(n: number): Promise<{ records: FeatureRecord[]; flightIds: string[]; labels: number[] }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const file = path.join(SAMPLE, 'baselines', 'train-v1.parquet').replace(/'/g, "''");
  const rows = (await c.runAndReadAll(`SELECT * FROM read_parquet('${file}') ORDER BY md5(flight_id) LIMIT ${n}`)).getRowObjectsJS();
  c.closeSync();
  db.closeSync();
  return {
    records: rows.map((r) => Object.fromEntries(FEATURES.map((f) => [f, r[f] as number | string]))),
    flightIds: rows.map((r) => String(r.flight_id)),
    labels: rows.map((r) => Number(r.is_delayed)),
  };
}

/** Opens a trace read-only (as a teammate would; `:memory:` for a scratch database) and runs one query. */
export async function queryTrace<T = Record<string, unknown>>(trace: string, sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(trace, trace === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/**
 * The trace `npm run demo` writes (60,000 served predictions of the sample, labels, lineage, drift,
 * quality and slice findings, a replay run), made by running the built demo when it is missing —
 * a fresh clone has none, and a test that needs it must not be skipped there.
 *
 * Test files of several projects (integration, e2e) ask for it at the same time in separate
 * processes, and the demo deletes and rewrites the file as it goes: whoever comes first makes it
 * under a lock folder (mkdir is atomic), the others wait for the lock to go, so nobody copies a
 * half-written trace. A lock older than the demo's time limit is from a killed run and is taken over.
 */
export async function demoTrace(): Promise<string> {
  const trace = path.join(SAMPLE, '.sightline', 'demo-trace.duckdb');
  const lock = `${trace}.lock`;
  const limitMs = 600_000;
  mkdirSync(path.dirname(trace), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > limitMs) rmSync(lock, { recursive: true, force: true });
      else await sleep(250);
    }
  }
  try {
    // A WAL beside it means a demo run that did not finish: make it again.
    if (!existsSync(trace) || existsSync(`${trace}.wal`)) {
      const demo = await runToEnd(process.execPath, [path.join(ROOT, 'dist', 'demo.js')], { cwd: ROOT, timeoutMs: limitMs });
      if (demo.status !== 0) throw new Error(`npm run demo failed (${demo.status}):\n${demo.stdout}\n${demo.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return trace;
}

/** The sample's delayed/on-time labels (traffic/labels.parquet) of these flights, by flight id. */
export async function sampleLabels(ids: string[]): Promise<Array<{ flight_id: string; is_delayed: number }>> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const file = path.join(SAMPLE, 'traffic', 'labels.parquet').replaceAll("'", "''");
    const list = ids.map((id) => `'${id.replaceAll("'", "''")}'`).join(', ');
    const rows = (await c.runAndReadAll(`SELECT flight_id, is_delayed FROM read_parquet('${file}') WHERE flight_id IN (${list}) ORDER BY flight_id`)).getRowObjectsJS();
    return rows.map((r) => ({ flight_id: String(r.flight_id), is_delayed: Number(r.is_delayed) }));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/**
 * "table.column: n" for every text (VARCHAR/JSON) column of a trace holding n > 0 values for which
 * the SQL condition `where(value)` holds — where a personal value or a forgotten subject survives.
 */
export async function textColumnsWhere(trace: string, where: (value: string) => string): Promise<string[]> {
  const db = await DuckDBInstance.create(trace, { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  try {
    const cols = (await c.runAndReadAll(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' AND data_type IN ('VARCHAR', 'JSON')`)).getRowObjectsJS();
    const hits: string[] = [];
    for (const col of cols) {
      const value = `CAST("${String(col.column_name)}" AS VARCHAR)`;
      const r = (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM "${String(col.table_name)}" WHERE ${where(value)}`)).getRowObjectsJS()[0]!;
      if (Number(r.n) > 0) hits.push(`${String(col.table_name)}.${String(col.column_name)}: ${String(r.n)}`);
    }
    return hits;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
