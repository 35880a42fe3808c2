/**
 * The flights sample's captured traffic through both feature paths, for the skew tests:
 * raw requests from traffic/requests.parquet, served features from the real serving code
 * (serving/features.ts, with its route-key bug) and training features from the real training
 * code (features.py --jsonl, run by Debian's Python).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { computeFeatures, type Features, type RawFlight } from '../../../samples/flights/serving/features';
import { SAMPLE } from '../../helpers/daemon';

export const REQUESTS = path.join(SAMPLE, 'traffic', 'requests.parquet');
export const BASELINE = path.join(SAMPLE, 'baselines', 'train-v1.parquet');
export const FEATURES_PY = path.join(SAMPLE, 'features.py');
/** features.py is stdlib-only; Debian's Python is the one the sample documents. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const TRANSFORM = `${PYTHON} ${FEATURES_PY} --jsonl`;
export const FEATURE_NAMES = ['dep_hour', 'day_of_week', 'distance', 'origin', 'destination', 'route_delay_rate', 'origin_hour_delay_rate'] as const;

/** Raw requests: all of them, or `limit` chosen by md5(flight_id) (spread over April–June). */
export async function loadRequests(limit?: number): Promise<RawFlight[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const file = REQUESTS.replaceAll("'", "''");
    const sql = limit === undefined
      ? `SELECT flight_id, date, origin, destination, distance FROM read_parquet('${file}') ORDER BY flight_id`
      : `SELECT flight_id, date, origin, destination, distance FROM read_parquet('${file}') ORDER BY md5(flight_id) LIMIT ${limit}`;
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
    return rows.map((r) => ({ flight_id: String(r.flight_id), date: String(r.date), origin: String(r.origin), destination: String(r.destination), distance: Number(r.distance) }));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** What the service served: serving/features.ts on each raw request. */
export function servedFeatures(raws: RawFlight[]): Features[] {
  return raws.map((r) => computeFeatures(r));
}

/** What training computes for the same requests: features.py --jsonl (keeps flight_id). */
export function trainingFeatures(raws: RawFlight[]): Array<Features & { flight_id: string }> {
  const res = spawnSync(PYTHON, [FEATURES_PY, '--jsonl'], { input: raws.map((r) => JSON.stringify(r)).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  if (res.status !== 0) throw new Error(`features.py failed (${res.status}): ${res.stderr}`);
  return res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export function writeJsonl(file: string, rows: object[]): void {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** Rows where the two paths disagree on a feature, counted in JavaScript (the independent check). */
export function mismatchCount(a: readonly object[], b: readonly object[], feature: string): number {
  const value = (row: object | undefined): unknown => (row as Record<string, unknown> | undefined)?.[feature];
  let n = 0;
  for (let i = 0; i < a.length; i++) if (value(a[i]) !== value(b[i])) n++;
  return n;
}
