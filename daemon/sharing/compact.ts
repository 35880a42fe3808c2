import { DuckDBInstance } from '@duckdb/node-api';
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ident, literal } from '../store/sql';

/**
 * Rewrites a trace file no process holds into a fresh file (COPY FROM DATABASE) and swaps it in:
 * deleted rows no longer sit in freed blocks, and the file shrinks to its live data. Used after
 * `forget` (so erased data is gone from disk) and by `prune --compact`.
 */
export async function compactTraceFile(file: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.compact-${process.pid}`);
  rmSync(tmp, { force: true });
  const db = await DuckDBInstance.create(file, { autoload_known_extensions: 'false', autoinstall_known_extensions: 'false' });
  const conn = await db.connect();
  try {
    const name = String((await conn.runAndReadAll('SELECT current_database() AS d')).getRowObjectsJS()[0]!.d);
    await conn.run(`ATTACH ${literal(tmp)} AS sightline_compact`);
    await conn.run(`COPY FROM DATABASE ${ident(name)} TO sightline_compact`);
    await conn.run('DETACH sightline_compact');
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  renameSync(tmp, file);
  rmSync(`${tmp}.wal`, { force: true });
  rmSync(`${file}.wal`, { force: true });
}
