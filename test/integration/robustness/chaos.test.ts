import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../daemon/analysis';
import type { SliceReport } from '../../../protocol';
import { MODEL_V1, MODEL_V2, runCli, SAMPLE, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace, sampleRecords } from '../../helpers/sample';
import { call, featuresOf, project } from '../../helpers/wire';

/**
 * `sightline serve --chaos` proves that the team's alarms fire: a shifted feature (applied before
 * inference, so it is what gets logged) is flagged by `sightline drift`, flipped outputs degrade
 * the error rate `sightline slices` reports, and every touched row is marked in `chaos`.
 */
describe('chaos mode: injected faults are logged, marked, and caught by the alarms', () => {
  const dirs: string[] = [];
  const daemons: RunningDaemon[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.kill();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tmp = (): string => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'sightline-chaos-'));
    dirs.push(d);
    return d;
  };

  it('shift:distance=*1.5 on v1 only → `sightline drift` flags distance for v1, nothing for v2 served alongside', async () => {
    const dir = tmp();
    const trace = path.join(dir, 'trace.duckdb');
    const home = path.join(dir, 'home');
    const added = await runCli(['baseline', 'add', 'train-v1', path.join(SAMPLE, 'baselines', 'train-v1.parquet'), '--trace', trace], { SIGHTLINE_HOME: home });
    expect(added.code, added.stderr).toBe(0);
    const d = await startDaemon(['--model', MODEL_V1, MODEL_V2, '--chaos', 'shift:distance=*1.5@1.0,model=flights-delay@v1', '--chaos-seed', '5'], { trace, dir });
    daemons.push(d);
    expect(d.stderr()).toContain('chaos: shift:distance=*1.5 on 100% of rows of flights-delay@v1');
    const sample = await sampleRecords(1200);
    for (const version of ['v1', 'v2']) {
      const records = project(sample.records, await featuresOf(d, `flights-delay@${version}`));
      for (let i = 0; i < records.length; i += 200) {
        const res = await call(d, 'POST', '/v1/predict', { model: `flights-delay@${version}`, records: records.slice(i, i + 200), durable: true });
        expect(res.status, res.text).toBe(200);
      }
    }
    expect(await d.stop()).toBe(0);

    // Marked: every v1 row, no v2 row; the logged distance is the shifted one.
    const marks = await queryTrace<{ version: string; chaos: string | null; n: number; mean: number }>(trace, `
      SELECT p.model_version AS version, p.chaos, count(*)::INT AS n, avg(p.${await distanceColumn(trace)}) AS mean
      FROM predictions p GROUP BY ALL ORDER BY version`);
    const sent = sample.records.reduce((a, r) => a + Number(r.distance), 0) / sample.records.length;
    expect(marks.map((m) => [m.version, m.chaos, m.n])).toEqual([['v1', 'shift:distance=*1.5', 1200], ['v2', null, 1200]]);
    expect(marks[0]!.mean / sent).toBeCloseTo(1.5, 3);
    expect(marks[1]!.mean / sent).toBeCloseTo(1, 3);

    const drift = async (model: string): Promise<DriftReport> => {
      const r = await runCli(['drift', '--db', trace, '--baseline', 'train-v1', '--model', model, '--json'], { SIGHTLINE_HOME: home });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as DriftReport;
    };
    const v1 = await drift('flights-delay@v1');
    const v2 = await drift('flights-delay@v2');
    console.log(`chaos shift: drifted v1 ${JSON.stringify(v1.drifted)}, v2 ${JSON.stringify(v2.drifted)}`);
    expect(v1.drifted).toContain('distance');
    // Only distance (and the prediction it moves) is flagged: the alarm is specific.
    expect(v1.drifted.filter((f) => f !== 'distance' && f !== 'prediction')).toEqual([]);
    expect(v2.drifted).not.toContain('distance');
  });

  it('flip@0.3 with drops and added latency → rows marked, drops refused and not logged, error rate up by the expected amount', async () => {
    const dir = tmp();
    const trace = path.join(dir, 'trace.duckdb');
    const d = await startDaemon(['--model', MODEL_V1, '--durable', '--chaos', 'flip@0.3', '--chaos', 'drop@0.2', '--chaos', 'latency=30ms@0.5', '--chaos-seed', '42'], { trace, dir });
    daemons.push(d);
    const sample = await sampleRecords(1500);
    const records = project(sample.records, await featuresOf(d, 'flights-delay'));
    const label = new Map(sample.flightIds.map((k, i) => [k, sample.labels[i]!]));
    let dropped = 0;
    const served: string[] = [];
    for (let i = 0; i < records.length; i += 50) {
      const keys = sample.flightIds.slice(i, i + 50);
      const res = await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: records.slice(i, i + 50), join_keys: keys });
      if (res.status === 503) {
        expect(res.json.error.code).toBe('chaos_dropped');
        dropped++;
      } else {
        expect(res.status, res.text).toBe(200);
        served.push(...keys);
      }
    }
    const labels = await d.client.logLabels({ source: 'truth', labels: served.map((k) => ({ join_key: k, value: label.get(k)! })) });
    expect(labels.logged).toBe(served.length);
    expect(await d.stop()).toBe(0);
    expect(d.stderr()).toMatch(/chaos: \{"requests":30,"dropped":\d+/);

    // Dropped requests left nothing; every served row is there, a share of them marked.
    const rows = await queryTrace<{ n: number; flipped: number; delayed: number; slow: number }>(trace, `
      SELECT count(*)::INT AS n, count(*) FILTER (WHERE chaos LIKE '%flip%')::INT AS flipped,
             count(*) FILTER (WHERE chaos LIKE '%latency=30ms%')::INT AS delayed,
             count(*) FILTER (WHERE chaos LIKE '%latency=30ms%' AND latency_ms >= 30)::INT AS slow
      FROM predictions`);
    expect(dropped).toBeGreaterThan(0);
    expect(rows[0]!.n).toBe(served.length);
    expect(rows[0]!.n).toBe((30 - dropped) * 50);
    const share = rows[0]!.flipped / rows[0]!.n;
    console.log(`chaos flip: ${dropped}/30 requests dropped, ${rows[0]!.flipped}/${rows[0]!.n} rows flipped (${(share * 100).toFixed(1)} %), ${rows[0]!.delayed} rows delayed`);
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    expect(rows[0]!.delayed).toBeGreaterThan(0);
    expect(rows[0]!.slow).toBe(rows[0]!.delayed);

    // The error rate among untouched rows is the model's; flipped rows have the complement.
    const err = await queryTrace<{ untouched: number; flipped: number }>(trace, `
      SELECT avg(CASE WHEN p.label_pred::INT <> l.value THEN 1 ELSE 0 END) FILTER (WHERE coalesce(p.chaos, '') NOT LIKE '%flip%') AS untouched,
             avg(CASE WHEN p.label_pred::INT <> l.value THEN 1 ELSE 0 END) FILTER (WHERE p.chaos LIKE '%flip%') AS flipped
      FROM predictions p JOIN labels l ON l.join_key = p.join_key`);
    const base = err[0]!.untouched;
    expect(err[0]!.flipped).toBeGreaterThan(0.5);
    // The alarm: `sightline slices` reports the overall error rate (zero-one loss) degraded by the flips.
    const sliced = await runCli(['slices', '--db', trace, '--json'], { SIGHTLINE_HOME: path.join(dir, 'home') });
    expect(sliced.code, sliced.stderr).toBe(0);
    const report = JSON.parse(sliced.stdout) as SliceReport;
    expect(report.loss).toBe('zero_one');
    const expected = (1 - share) * base + share * (1 - base);
    console.log(`chaos flip: error rate ${report.metric_overall?.toFixed(3)} (untouched rows ${base.toFixed(3)}, expected ${expected.toFixed(3)})`);
    expect(report.metric_overall!).toBeGreaterThan(base + 0.08);
    expect(report.metric_overall!).toBeCloseTo(expected, 2);
  });

  it('a bad --chaos spec, or one that matches no loaded model or feature, exits 2 before serving', async () => {
    const dir = tmp();
    const trace = path.join(dir, 'trace.duckdb');
    for (const [spec, what] of [
      ['flip@1.5', 'outside [0, 1]'],
      ['explode@0.1', 'unknown fault'],
      ['shift:distnce=*2', 'no loaded model has a feature "distnce"'],
      ['shift:origin=*2', 'categorical'],
      ['flip@0.1,model=no-such-model', 'no loaded model matches'],
      ['latency=fast', 'not a duration'],
    ]) {
      const r = await runCli(['serve', '--trace', trace, '--port', '0', '--model', MODEL_V1, '--chaos', spec!], { SIGHTLINE_HOME: path.join(dir, 'home') });
      expect(r.code, `${spec}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(what!);
      expect(r.stderr).toMatch(/\[invalid_request\]/);
    }
  });
});

/** The column holding the feature `distance` in a trace. */
async function distanceColumn(trace: string): Promise<string> {
  const r = await queryTrace<{ column_name: string }>(trace, `SELECT column_name FROM feature_columns WHERE feature = 'distance' AND kind = 'numeric'`);
  return r[0]!.column_name;
}
