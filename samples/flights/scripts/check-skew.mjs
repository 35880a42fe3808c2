// Training-serving skew check of the flights sample: computes the features of the captured traffic
// with BOTH feature paths (features.py and serving/features.ts) and compares them
//   - row by row on the same raw requests (mismatch rate per feature), and
//   - as distributions against the training baseline (baselines/train-v1.parquet), with the
//     binning and Jensen-Shannon distance defined in shared/DESIGN.md ("Statistics").
// This is the ground truth the Sightline skew analysis should reproduce.
//
//   node samples/flights/scripts/check-skew.mjs     -> reports/skew-check.json
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lit, SAMPLE_DIR, withDuckDB } from './flights-sql.mjs';
import { loadTraffic, servingFeatures, trainingFeatures } from './feature-paths.mjs';

const NUMERIC = ['dep_hour', 'distance', 'route_delay_rate', 'origin_hour_delay_rate'];
const CATEGORICAL = ['day_of_week', 'origin', 'destination'];

/** quantile with linear interpolation (= DuckDB quantile_cont, numpy's default). */
function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  return lo + 1 < sorted.length ? sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - lo) : sorted[lo];
}

/** Proportions of values in (-inf,e1], (e1,e2], ..., (e_last,inf). */
function binShares(values, edges) {
  const counts = new Array(edges.length + 1).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < edges.length && v > edges[i]) i++;
    counts[i]++;
  }
  return counts.map((c) => c / values.length);
}

/** Jensen-Shannon distance, base 2 (= scipy.spatial.distance.jensenshannon(p, q, base=2)). */
function jsDistance(p, q) {
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) d += p[i] * Math.log2(p[i] / m);
    if (q[i] > 0) d += q[i] * Math.log2(q[i] / m);
  }
  return Math.sqrt(Math.max(d / 2, 0));
}

function numericDrift(reference, current) {
  const sorted = Float64Array.from(reference).sort();
  const edges = [...new Set([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => quantile(sorted, k / 10)))];
  return { js: jsDistance(binShares(reference, edges), binShares(current, edges)) };
}

function categoricalDrift(reference, current) {
  const cats = [...new Set([...reference, ...current])].sort();
  const share = (vals) => {
    const c = new Map(cats.map((k) => [k, 0]));
    for (const v of vals) c.set(v, c.get(v) + 1);
    return cats.map((k) => c.get(k) / vals.length);
  };
  const p = share(reference);
  const q = share(current);
  return { js: jsDistance(p, q), linf: Math.max(...p.map((x, i) => Math.abs(x - q[i]))) };
}

const t0 = performance.now();
const rows = await loadTraffic();
const py = trainingFeatures(rows);
const ts = await servingFeatures(rows);
const baseline = await withDuckDB((db) =>
  db.rows(`SELECT * FROM read_parquet(${lit(path.join(SAMPLE_DIR, 'baselines', 'train-v1.parquet'))})`));

const round = (x) => Math.round(x * 1e6) / 1e6;
const report = { rows: rows.length, baseline_rows: baseline.length, features: {} };
for (const name of [...NUMERIC, ...CATEGORICAL]) {
  const numeric = NUMERIC.includes(name);
  let mismatches = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < rows.length; i++) {
    if (py[i][name] !== ts[i][name]) mismatches++;
    if (numeric) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(py[i][name] - ts[i][name]));
  }
  const col = (arr) => arr.map((r) => r[name]);
  const drift = numeric ? numericDrift : categoricalDrift;
  const vsServing = drift(col(baseline), col(ts));
  const vsTraining = drift(col(baseline), col(py));
  const vsSame = drift(col(py), col(ts));
  report.features[name] = {
    kind: numeric ? 'numeric' : 'categorical',
    row_mismatch_rate: round(mismatches / rows.length),
    ...(numeric ? { max_abs_diff: round(maxAbsDiff) } : {}),
    // distribution distance of served values vs the training baseline (what Sightline reports as skew)
    js_baseline_vs_serving: round(vsServing.js),
    // the same through the training code: natural April-June drift only, no code bug
    js_baseline_vs_training_code_on_traffic: round(vsTraining.js),
    // same rows, two code paths: pure skew
    js_training_code_vs_serving_code_same_rows: round(vsSame.js),
    ...(numeric ? {} : { linf_baseline_vs_serving: round(vsServing.linf) }),
  };
}
const served = ts.map((r) => r.route_delay_rate);
const globalRate = served.reduce((a, b) => (a.set(b, (a.get(b) ?? 0) + 1), a), new Map());
const [modeValue, modeCount] = [...globalRate.entries()].sort((a, b) => b[1] - a[1])[0];
report.route_delay_rate_served_mode = { value: modeValue, share: round(modeCount / rows.length) };

writeFileSync(path.join(SAMPLE_DIR, 'reports', 'skew-check.json'), JSON.stringify(report, null, 2) + '\n');
console.table(Object.fromEntries(Object.entries(report.features).map(([k, v]) => [k, {
  mismatch: v.row_mismatch_rate, 'js base~serve': v.js_baseline_vs_serving,
  'js base~train(traffic)': v.js_baseline_vs_training_code_on_traffic, 'js same rows': v.js_training_code_vs_serving_code_same_rows,
}])));
console.log(`served route_delay_rate: ${(100 * report.route_delay_rate_served_mode.share).toFixed(1)}% of rows equal ${modeValue}`);
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s -> samples/flights/reports/skew-check.json`);
