// "clean" step of the training pipeline (train.py shells out to this because Debian's Python has
// no Parquet reader). Reads the raw 3M-flight parquet with DuckDB, applies the cleaning rules in
// flights-sql.mjs and writes one CSV per month plus a manifest with row counts.
//
//   node samples/flights/scripts/extract.mjs --out samples/flights/.work/clean [--months 1,2,3]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cleanFlightsSql, lit, RAW_PARQUET, withDuckDB } from './flights-sql.mjs';

const { values } = parseArgs({
  options: { out: { type: 'string' }, months: { type: 'string', default: '1,2,3,4,5,6' } },
});
if (!values.out) {
  console.error('usage: extract.mjs --out DIR [--months 1,2,3]');
  process.exit(2);
}
const outDir = path.resolve(values.out);
const months = values.months.split(',').map(Number);
mkdirSync(outDir, { recursive: true });

const manifest = { source: RAW_PARQUET, files: [] };
await withDuckDB(async (db) => {
  await db.run(`CREATE TABLE clean AS ${cleanFlightsSql()}`);
  for (const m of months) {
    const file = path.join(outDir, `2001-${String(m).padStart(2, '0')}.csv`);
    // Ordered by flight_id (= original file order) so the CSV is byte-for-byte reproducible.
    await db.run(`COPY (
        SELECT flight_id, date, origin, destination, distance, delay, is_delayed
        FROM clean WHERE month = ${m} ORDER BY flight_id
      ) TO ${lit(file)} (HEADER)`);
    const [{ n, delayed }] = await db.rows(
      `SELECT count(*)::INTEGER AS n, sum(is_delayed)::INTEGER AS delayed FROM clean WHERE month = ${m}`);
    manifest.files.push({ month: m, path: file, rows: n, delayed });
    console.log(`clean 2001-${String(m).padStart(2, '0')}: ${n} rows, ${(100 * delayed / n).toFixed(1)}% delayed`);
  }
});
writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
