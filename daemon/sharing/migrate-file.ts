import { DuckDBInstance } from '@duckdb/node-api';
import { copyFileSync, existsSync } from 'node:fs';
import { SightlineError, TRACE_SCHEMA_VERSION, type MigrateResult } from '../../protocol';
import { migrationPlan } from '../store/migrations';
import { TraceStore } from '../store/trace-store';

/** The schema version a trace file records, read without changing it (and without external access). */
export async function fileSchemaVersion(file: string): Promise<number> {
  if (!existsSync(file)) throw new SightlineError('bad_file', `trace file not found: ${file}`);
  let db: DuckDBInstance;
  try {
    db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY', enable_external_access: 'false', autoload_known_extensions: 'false', autoinstall_known_extensions: 'false' });
  } catch (err) {
    throw new SightlineError('bad_file', `cannot open ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const conn = await db.connect();
  try {
    const has = (await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'meta'`)).getRowObjectsJS()[0]?.n;
    if (!Number(has)) throw new SightlineError('bad_file', `${file} is a DuckDB file but not a Sightline trace (no meta table)`);
    const v = (await conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`)).getRowObjectsJS()[0]?.value;
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0) throw new SightlineError('bad_file', `${file} records no valid schema version (meta.schema_version = ${JSON.stringify(v ?? null)})`);
    return n;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * `sightline migrate FILE`: upgrades an older trace to this build's schema in one transaction
 * (the same steps a writable open runs), after keeping a copy `FILE.v<N>.bak` unless told not to.
 */
export async function migrateFile(file: string, opts: { backup: boolean; dryRun?: boolean }): Promise<MigrateResult> {
  const from = await fileSchemaVersion(file);
  if (from > TRACE_SCHEMA_VERSION) {
    throw new SightlineError('schema_too_new', `${file} uses trace schema version ${from}, but this Sightline reads up to version ${TRACE_SCHEMA_VERSION}. Upgrade Sightline to open it.`);
  }
  const plan = migrationPlan(from);
  const steps = plan.map((m) => ({ from: m.from, to: m.to, description: m.description }));
  if (plan.length === 0 || opts.dryRun) return { trace: file, from, to: TRACE_SCHEMA_VERSION, migrated: false, steps, backup: null };
  let backup: string | null = null;
  if (opts.backup) {
    backup = `${file}.v${from}.bak`;
    for (let i = 2; existsSync(backup); i++) backup = `${file}.v${from}.${i}.bak`;
    copyFileSync(file, backup);
    if (existsSync(`${file}.wal`)) copyFileSync(`${file}.wal`, `${backup}.wal`);
  }
  const store = await TraceStore.open(file);
  store.close();
  return { trace: file, from, to: TRACE_SCHEMA_VERSION, migrated: true, steps, backup };
}
