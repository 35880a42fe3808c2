// "baseline" step of train.py: the v1 training feature table (CSV written by Python) -> a committed
// Parquet baseline. Takes a deterministic sample (smallest md5(flight_id)) to keep the file small.
//
//   node samples/flights/scripts/write-baseline.mjs --in train_features.csv --out train-v1.parquet --rows 100000
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lit, withDuckDB } from './flights-sql.mjs';

const { values } = parseArgs({
  options: { in: { type: 'string' }, out: { type: 'string' }, rows: { type: 'string', default: '100000' } },
});
if (!values.in || !values.out) {
  console.error('usage: write-baseline.mjs --in features.csv --out baseline.parquet [--rows N]');
  process.exit(2);
}
mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });

// Explicit types: numeric features as DOUBLE (what a consumer compares served values against),
// categoricals as VARCHAR even when a code looks numeric, the label as INTEGER 0/1.
const columns = `{
  'flight_id': 'VARCHAR', 'dep_hour': 'DOUBLE', 'day_of_week': 'VARCHAR', 'distance': 'DOUBLE',
  'origin': 'VARCHAR', 'destination': 'VARCHAR',
  'route_delay_rate': 'DOUBLE', 'origin_hour_delay_rate': 'DOUBLE', 'is_delayed': 'INTEGER' }`;

await withDuckDB(async (db) => {
  await db.run(`COPY (
      SELECT * FROM (
        SELECT * FROM read_csv(${lit(path.resolve(values.in))}, header = true, columns = ${columns})
        ORDER BY md5(flight_id) LIMIT ${Number(values.rows)}
      ) ORDER BY flight_id
    ) TO ${lit(path.resolve(values.out))} (FORMAT parquet, COMPRESSION zstd)`);
  const [r] = await db.rows(`SELECT count(*)::INTEGER AS n, avg(is_delayed) AS delayed
    FROM read_parquet(${lit(path.resolve(values.out))})`);
  console.log(`baseline ${values.out}: ${r.n} rows, ${(100 * r.delayed).toFixed(1)}% delayed`);
});
