// The two feature paths of the flights sample, callable from Node on the same raw records:
//   trainingFeatures(rows) - features.py --jsonl (what the model was trained on), via Debian's Python
//   servingFeatures(rows)  - serving/features.ts, bundled with esbuild and imported
// plus loaders for the captured traffic. Used by check-skew.mjs and eval-onnx.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { lit, SAMPLE_DIR, withDuckDB } from './flights-sql.mjs';

const WORK = path.join(SAMPLE_DIR, '.work');
export const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** Traffic requests (raw fields), optionally joined with their late labels; ordered by flight_id. */
export async function loadTraffic({ labels = false } = {}) {
  const req = lit(path.join(SAMPLE_DIR, 'traffic', 'requests.parquet'));
  const lab = lit(path.join(SAMPLE_DIR, 'traffic', 'labels.parquet'));
  return withDuckDB((db) => db.rows(labels
    ? `SELECT r.*, month(r.date::TIMESTAMP)::INTEGER AS month, l.is_delayed
       FROM read_parquet(${req}) r JOIN read_parquet(${lab}) l USING (flight_id) ORDER BY flight_id`
    : `SELECT * FROM read_parquet(${req}) ORDER BY flight_id`));
}

/** Raw record as the serving API receives it (drops join/label columns). */
export const rawRecord = (r) => ({
  flight_id: r.flight_id, date: r.date, origin: r.origin, destination: r.destination, distance: r.distance,
});

/** features.py --jsonl over the rows; returns feature objects in the same order. */
export function trainingFeatures(rows) {
  const input = rows.map((r) => JSON.stringify(rawRecord(r))).join('\n') + '\n';
  const res = spawnSync(PYTHON, [path.join(SAMPLE_DIR, 'features.py'), '--jsonl'], {
    input, maxBuffer: 1 << 30, encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`features.py failed (${res.status}): ${res.stderr}`);
  const out = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  out.forEach((f, i) => {
    if (f.flight_id !== rows[i].flight_id) throw new Error(`features.py reordered rows at ${i}`);
  });
  return out;
}

/** serving/features.ts computeFeatures over the rows (bundled once with esbuild, JSON tables inlined). */
export async function servingFeatures(rows) {
  const { build } = await import('esbuild');
  mkdirSync(WORK, { recursive: true });
  const outfile = path.join(WORK, 'serving-features.bundle.mjs');
  await build({
    entryPoints: [path.join(SAMPLE_DIR, 'serving', 'features.ts')],
    bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning',
  });
  const mod = await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
  return rows.map((r) => ({ flight_id: r.flight_id, ...mod.computeFeatures(rawRecord(r)) }));
}
