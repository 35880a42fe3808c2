import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SightlineError } from '../../protocol';
import { sdkHintsFromTrace } from '../featuremap';
import { TraceStore } from '../store/trace-store';
import { toFindings } from './finding-rows';
import { toModels, type Snapshot } from './snapshot';

/**
 * Reads findings, models and SDK code locations from a trace file, read-only, and closes it again
 * (holding it open would block the daemon from opening it). A file locked by a writer (a daemon
 * without the `findings` query) is copied with its WAL and the copy is read: DuckDB lets no other
 * process open a file a writer holds, even read-only.
 */
export async function readTrace(file: string, featureNames: string[]): Promise<Snapshot> {
  let copyDir: string | null = null;
  let store: TraceStore;
  try {
    store = await TraceStore.open(file, { readOnly: true });
  } catch (err) {
    if (!(err instanceof SightlineError && err.code === 'conflict')) throw err;
    copyDir = mkdtempSync(path.join(os.tmpdir(), 'sightline-lsp-'));
    const copy = path.join(copyDir, 'trace.duckdb');
    copyFileSync(file, copy);
    if (existsSync(`${file}.wal`)) copyFileSync(`${file}.wal`, `${copy}.wal`);
    store = await TraceStore.open(copy, { readOnly: true });
  }
  try {
    const tables = new Set((await store.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main'`)).map((r) => r.name));
    // SELECT *: an older or newer writer may lack or add columns; toFindings reads what is there.
    const findings = tables.has('findings') ? toFindings(await store.query('SELECT * FROM findings')) : [];
    const models = tables.has('models') ? toModels(await store.query('SELECT name, version, card FROM models')) : [];
    const hints = await sdkHintsFromTrace((sql) => store.query(sql), featureNames);
    return { findings, models, hints };
  } finally {
    store.close();
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
  }
}
