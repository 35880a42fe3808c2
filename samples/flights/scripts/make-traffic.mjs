// Captured production traffic for the flights sample: what the deployed model was asked in
// April-June 2001, and the labels that arrived later. Deterministic: within each month the
// flights with the smallest md5(flight_id) are taken (see flights-sql.mjs), so re-running gives
// byte-identical rows and Python can tell which flights are in the sample without reading Parquet.
//
//   node samples/flights/scripts/make-traffic.mjs
//
// Writes (relative to samples/flights/):
//   traffic/requests.parquet  flight_id, date, origin, destination, distance  (raw requests)
//   traffic/labels.parquet    flight_id, delay, is_delayed                    (late labels)
//   traffic/golden.parquet    5,000 other April flights, raw fields + delay + is_delayed
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cleanFlightsSql, lit, SAMPLE_DIR, withDuckDB } from './flights-sql.mjs';

const TRAFFIC_MONTHS = [4, 5, 6];
const PER_MONTH = 20_000;
const GOLDEN_ROWS = 5_000;

const outDir = path.join(SAMPLE_DIR, 'traffic');
mkdirSync(outDir, { recursive: true });
const parquet = (file) => `${lit(path.join(outDir, file))} (FORMAT parquet, COMPRESSION zstd)`;

const t0 = performance.now();
await withDuckDB(async (db) => {
  await db.run(`CREATE TABLE ranked AS
    SELECT *, row_number() OVER (PARTITION BY month ORDER BY sample_key) AS sample_rank
    FROM (${cleanFlightsSql()}) WHERE month IN (${TRAFFIC_MONTHS.join(',')})`);

  // Requests in the order they were served (departure time), as the booking service sent them.
  await db.run(`COPY (
      SELECT flight_id, date, origin, destination, distance
      FROM ranked WHERE sample_rank <= ${PER_MONTH} ORDER BY date, flight_id
    ) TO ${parquet('requests.parquet')}`);

  // Labels arrive after the flight left; they join to requests on flight_id.
  await db.run(`COPY (
      SELECT flight_id, delay, is_delayed
      FROM ranked WHERE sample_rank <= ${PER_MONTH} ORDER BY flight_id
    ) TO ${parquet('labels.parquet')}`);

  // Golden set: labelled April flights that are NOT in the traffic sample (next ranks).
  await db.run(`COPY (
      SELECT flight_id, date, origin, destination, distance, delay, is_delayed
      FROM ranked WHERE month = 4 AND sample_rank > ${PER_MONTH} AND sample_rank <= ${PER_MONTH + GOLDEN_ROWS}
      ORDER BY date, flight_id
    ) TO ${parquet('golden.parquet')}`);

  for (const file of ['requests.parquet', 'labels.parquet', 'golden.parquet']) {
    const [r] = await db.rows(`SELECT count(*)::INTEGER AS n FROM read_parquet(${lit(path.join(outDir, file))})`);
    console.log(`traffic/${file}: ${r.n} rows`);
  }
  const perMonth = await db.rows(`SELECT month, count(*)::INTEGER AS n, round(avg(is_delayed), 4) AS delayed_share
    FROM ranked WHERE sample_rank <= ${PER_MONTH} GROUP BY month ORDER BY month`);
  console.table(perMonth);
});
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
