/**
 * `sightline skew` on plain files of the whole flights traffic (60,000 requests), checked
 * against the sample's ground truth, samples/flights/reports/skew-check.json: written by
 * samples/flights/scripts/check-skew.mjs, an independent implementation (its own quantiles,
 * binning and JS distance in JavaScript, cross-checked there with scipy), rounded to 6 decimals.
 *
 * Served features come from the real serving code (serving/features.ts), training features from
 * the real training code (features.py --jsonl) on the same raw requests.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SkewReport, type SkewFeature } from '../../../protocol';
import { runCli, SAMPLE } from '../../helpers/daemon';
import { BASELINE, FEATURE_NAMES, loadRequests, PYTHON, REQUESTS, servedFeatures, TRANSFORM, trainingFeatures, writeJsonl } from './sample-traffic';

interface GroundTruth {
  rows: number;
  features: Record<string, {
    kind: 'numeric' | 'categorical';
    row_mismatch_rate: number;
    max_abs_diff?: number;
    js_baseline_vs_serving: number;
    js_baseline_vs_training_code_on_traffic: number;
    linf_baseline_vs_serving?: number;
  }>;
}

const truth = JSON.parse(readFileSync(path.join(SAMPLE, 'reports', 'skew-check.json'), 'utf8')) as GroundTruth;
/** The report rounds to 6 decimals. */
const ROUNDED = 5e-7 + 1e-12;

function byName(report: SkewReport): Map<string, SkewFeature> {
  return new Map(report.features.map((f) => [f.name, f]));
}

async function skew(args: string[]): Promise<SkewReport> {
  const r = await runCli(['skew', ...args, '--json'], { SIGHTLINE_HOME: path.join(os.tmpdir(), 'sightline-skew-no-daemon') });
  expect(r.code, r.stderr).toBe(0);
  return SkewReport.parse(JSON.parse(r.stdout));
}

describe('sightline skew on the sample traffic as plain files', () => {
  let dir: string;
  let served: string;
  let trainingCsv: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-skew-files-'));
    const raws = await loadRequests();
    expect(raws).toHaveLength(truth.rows);
    served = path.join(dir, 'served.jsonl');
    writeJsonl(served, servedFeatures(raws).map((f, i) => ({ flight_id: raws[i]!.flight_id, ...f })));
    // Training-path rows of the same requests, as CSV (another reader path).
    const trainingJsonl = path.join(dir, 'training.jsonl');
    writeJsonl(trainingJsonl, trainingFeatures(raws));
    trainingCsv = path.join(dir, 'training.csv');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT * FROM read_json('${trainingJsonl}', format = 'newline_delimited')) TO '${trainingCsv}' (FORMAT csv, HEADER true)`);
    conn.closeSync();
    db.closeSync();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('distribution: training baseline vs served features — route_delay_rate only, distances as in skew-check.json', async () => {
    const report = await skew(['--training', BASELINE, '--serving', served]);
    expect(report.mode).toBe('distribution');
    expect(report.skewed).toEqual(['route_delay_rate']);
    // Every column of both files is compared, flight_id too (an identifier: no skew)…
    expect(report.features.map((f) => f.name).sort()).toEqual([...FEATURE_NAMES, 'flight_id'].sort());
    expect(byName(report).get('flight_id')!.skew).toBe(false);
    const features = byName(report);
    for (const [name, t] of Object.entries(truth.features)) {
      const f = features.get(name)!;
      expect(f.kind, name).toBe(t.kind);
      expect(Math.abs(f.metrics!.js! - t.js_baseline_vs_serving), `${name} js`).toBeLessThanOrEqual(ROUNDED);
      if (t.kind === 'categorical') {
        expect(f.metric).toBe('linf');
        expect(Math.abs(f.score - t.linf_baseline_vs_serving!), `${name} linf`).toBeLessThanOrEqual(ROUNDED);
      } else {
        expect(f.metric).toBe('js');
        expect(f.score).toBe(f.metrics!.js);
      }
      expect(f.n_serving).toBe(60000);
      expect(f.n_training).toBe(100000);
    }
    // …unless it is named as the key.
    const keyed = await skew(['--training', BASELINE, '--serving', served, '--key', 'flight_id', '--mode', 'distribution']);
    expect(keyed.features.map((f) => f.name)).not.toContain('flight_id');
  });

  it('distribution: the training code on the same traffic is not skewed (April–June drift stays below 0.1)', async () => {
    const report = await skew(['--training', BASELINE, '--serving', trainingCsv]);
    expect(report.skewed).toEqual([]);
    const route = byName(report).get('route_delay_rate')!;
    expect(Math.abs(route.score - truth.features.route_delay_rate!.js_baseline_vs_training_code_on_traffic)).toBeLessThanOrEqual(ROUNDED);
  });

  it('rows: training-code rows vs served rows on flight_id — mismatch rates as in skew-check.json', async () => {
    const report = await skew(['--training', trainingCsv, '--serving', served, '--key', 'flight_id']);
    expect(report.mode).toBe('rows');
    expect(report).toMatchObject({ key: 'flight_id', matched: 60000, only_training: 0, only_serving: 0, duplicates_training: 0, duplicates_serving: 0 });
    expect(report.skewed).toEqual(['route_delay_rate']);
    const features = byName(report);
    for (const [name, t] of Object.entries(truth.features)) {
      const f = features.get(name)!;
      expect(Math.abs(f.mismatch_rate! - t.row_mismatch_rate), `${name} mismatch`).toBeLessThanOrEqual(ROUNDED);
      if (t.max_abs_diff !== undefined) expect(Math.abs(f.max_abs_diff! - t.max_abs_diff), `${name} max |Δ|`).toBeLessThanOrEqual(ROUNDED);
    }
    const route = features.get('route_delay_rate')!;
    expect(route.mismatches).toBe(59833);
    expect(route.examples).toHaveLength(5);
    expect(route.examples!.map((e) => e.key)).toEqual([...route.examples!.map((e) => e.key)].sort());
  });

  it('replay: raw requests → features.py → compared with the served rows, same as rows mode', async () => {
    const report = await skew(['--raw', REQUESTS, '--serving', served, '--key', 'flight_id', '--transform', TRANSFORM]);
    expect(report.mode).toBe('replay');
    expect(report.transform).toMatchObject({ command: TRANSFORM, rows_in: 60000, rows_out: 60000 });
    expect(report.skewed).toEqual(['route_delay_rate']);
    const rows = await skew(['--training', trainingCsv, '--serving', served, '--key', 'flight_id']);
    // Identical results but for the last bits of the mean |Δ| (a parallel sum).
    const strip = (fs: SkewFeature[]) => fs.map(({ mode: _m, mean_abs_diff: _d, ...f }) => f);
    expect(strip(report.features)).toEqual(strip(rows.features));
    report.features.forEach((f, i) => expect(f.mean_abs_diff ?? 0).toBeCloseTo(rows.features[i]!.mean_abs_diff ?? 0, 14));
  });

  it('tolerances and thresholds are configurable', async () => {
    // Differences of up to 0.28 are within an absolute tolerance of 0.3: no row differs any more.
    const loose = await skew(['--training', trainingCsv, '--serving', served, '--key', 'flight_id', '--abs-tol', '0.3']);
    expect(loose.skewed).toEqual([]);
    expect(loose.tolerance).toEqual({ abs: 0.3, rel: 1e-6 });
    const strict = await skew(['--training', BASELINE, '--serving', served, '--linf', '0.004', '--js', '0.9']);
    expect(strict.skewed).toEqual(['day_of_week', 'destination']);
  });

  it('documents its JSON: `sightline schema SkewReport`', async () => {
    const r = await runCli(['schema', 'SkewReport']);
    expect(r.code, r.stderr).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.required).toEqual(expect.arrayContaining(['mode', 'features', 'skewed']));
    expect(schema.properties.features.items.required).toEqual(expect.arrayContaining(['name', 'mode', 'skew', 'score', 'metric', 'threshold']));
    expect(schema.properties.features.items.properties.mode.enum).toEqual(['distribution', 'rows', 'replay']);
  });

  it('refuses bad usage and bad input with exit code 2', async () => {
    const run = (args: string[]) => runCli(['skew', ...args], { SIGHTLINE_HOME: path.join(os.tmpdir(), 'sightline-skew-no-daemon') });
    const unknownKey = await run(['--training', trainingCsv, '--serving', served, '--key', 'id']);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain('key column "id" is not in the serving file');
    const noRaw = await run(['--serving', served, '--key', 'flight_id', '--transform', TRANSFORM]);
    expect(noRaw.code).toBe(2);
    expect(noRaw.stderr).toContain('--raw FILE');
    const noKey = await run(['--raw', REQUESTS, '--serving', served, '--transform', TRANSFORM]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--key');
    const noTraining = await run(['--serving', served]);
    expect(noTraining.code).toBe(2);
    expect(noTraining.stderr).toContain('--training FILE');
    const badMode = await run(['--training', BASELINE, '--serving', served, '--mode', 'sideways']);
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toContain('--mode must be distribution, rows or replay');
    const badNumber = await run(['--training', BASELINE, '--serving', served, '--js', 'high']);
    expect(badNumber.code).toBe(2);
    const quoteError = await run(['--raw', REQUESTS, '--serving', served, '--key', 'flight_id', '--transform', `${PYTHON} "unterminated`]);
    expect(quoteError.code).toBe(2);
    expect(quoteError.stderr).toContain('unterminated double quote');
    const notObjects = await run(['--raw', REQUESTS, '--serving', served, '--key', 'flight_id', '--transform', `${PYTHON} -c "print(1)"`]);
    expect(notObjects.code).toBe(2);
    expect(notObjects.stderr).toContain('not JSON objects');
    const silent = await run(['--raw', REQUESTS, '--serving', served, '--key', 'flight_id', '--transform', `${PYTHON} -c "import sys; sys.stdin.read()"`]);
    expect(silent.code).toBe(2);
    expect(silent.stderr).toContain('printed no JSON lines');
    const noKeyOut = await run(['--raw', REQUESTS, '--serving', served, '--key', 'flight_id', '--transform', `${PYTHON} -c "print('{\\"a\\": 1}')"`]);
    expect(noKeyOut.code).toBe(2);
    expect(noKeyOut.stderr).toContain('has no "flight_id" field');
    const slow = await run(['--raw', REQUESTS, '--serving', served, '--key', 'flight_id', '--transform', `${PYTHON} -c "import time; time.sleep(30)"`, '--transform-timeout', '1']);
    expect(slow.code).toBe(2);
    expect(slow.stderr).toContain('did not finish within 1 s');
    const missingFile = await run(['--training', path.join(dir, 'nope.parquet'), '--serving', served]);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain('file not found');
  });
});
