// Shared SQL for every Node step of the flights sample, so that the flight id, the cleaning rules
// and the deterministic sampling key are defined once (extract, traffic, baseline all import this).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const SAMPLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(SAMPLE_DIR, '..', '..');
export const RAW_PARQUET = path.join(REPO_ROOT, 'node_modules', 'vega-datasets', 'data', 'flights-3m.parquet');

/** Quote a path or string as a SQL literal. */
export const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;

/**
 * Cleaned flights with a stable id.
 *  - flight_id = 'F' + 7-digit row number in the original parquet file (file_row_number is the
 *    physical row, so the id does not depend on any ORDER BY or on cleaning).
 *  - date is rendered as the ISO local timestamp the serving API receives ("2001-04-03T14:25:00").
 *  - Cleaning: keep Jan..Jun 2001 (the file ends with 6 rows stamped 2001-07-01 00:00, a
 *    midnight wrap of June 30), drop nulls, and drop departures more than 60 minutes *early*
 *    (142 rows such as -1116 min: recording errors, not schedules). Long delays are real and kept.
 *  - sample_key = md5(flight_id): a deterministic pseudo-random order that Python can reproduce
 *    with hashlib.md5, used for every sample (traffic, golden set, baseline, train/holdout split).
 */
export function cleanFlightsSql(rawPath = RAW_PARQUET) {
  return `
    SELECT
      'F' || lpad(file_row_number::VARCHAR, 7, '0')       AS flight_id,
      strftime(date, '%Y-%m-%dT%H:%M:%S')                  AS date,
      origin,
      destination,
      distance::INTEGER                                    AS distance,
      delay::INTEGER                                       AS delay,
      (delay > 15)::INTEGER                                AS is_delayed,
      month(date)::INTEGER                                 AS month,
      md5('F' || lpad(file_row_number::VARCHAR, 7, '0'))   AS sample_key
    FROM read_parquet(${lit(rawPath)}, file_row_number = true)
    WHERE date >= TIMESTAMP '2001-01-01' AND date < TIMESTAMP '2001-07-01'
      AND delay IS NOT NULL AND distance IS NOT NULL
      AND origin IS NOT NULL AND destination IS NOT NULL
      AND delay >= -60`;
}

/** Run a statement list on a fresh in-memory DuckDB and return the last result's rows. */
export async function withDuckDB(fn) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return await fn({
      run: (sql) => conn.run(sql),
      rows: async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJS(),
    });
  } finally {
    conn.closeSync?.();
    db.closeSync?.();
  }
}
