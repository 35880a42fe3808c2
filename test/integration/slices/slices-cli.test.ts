/**
 * `sightline slices` and `sightline freshness` on a real trace written by the real daemon
 * (model v1 of the sample, captured April–June requests through the serving feature code,
 * actual delays posted later as labels by join key), through the
 * daemon's route while it holds the trace and in-process once it has stopped, and
 * `sightline slices --data` on a file with the same rows: all three must agree.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSlice } from '../../../daemon/analysis/slices';
import { FreshnessReport, SliceReport, type Finding } from '../../../protocol';
import { DuckDBInstance } from '@duckdb/node-api';
import { literal } from '../../../daemon/store/sql';
import { computeFeatures, type RawFlight } from '../../../samples/flights/serving/features';
import { MODEL_V1, runCli, SAMPLE, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { CARD_V1, queryTrace } from '../../helpers/sample';

const ROWS = 30_000;

/**
 * Two reports of the same rows: equal structure and counts, numbers equal to 1e-9 relative
 * (DuckDB's parallel sums may add in another order from one run to the next: last-bit noise).
 */
function expectSameReport(a: SliceReport, b: SliceReport): void {
  const numbers: Array<[number, number, string]> = [];
  const strip = (x: unknown, path: string): unknown => {
    if (typeof x === 'number' && !Number.isInteger(x)) {
      numbers.push([x, Number.NaN, path]);
      return 'number';
    }
    if (Array.isArray(x)) return x.map((v, i) => strip(v, `${path}[${i}]`));
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, strip(v, `${path}.${k}`)]));
    return x;
  };
  const sa = strip(a, '');
  const fromA = numbers.splice(0);
  const sb = strip(b, '');
  expect(sa).toEqual(sb);
  fromA.forEach(([x, , where], i) => {
    const y = numbers[i]![0];
    expect(Math.abs(x - y), `${where}: ${x} vs ${y}`).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(y), 1e-300));
  });
}
const ATTRIBUTES = CARD_V1.slice_attributes;

describe('sightline slices / freshness on a real trace', () => {
  let dir: string;
  let d: RunningDaemon;
  let trace: string;
  let dataFile: string;
  let viaDaemon: SliceReport;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-slices-'));
    // Captured April–June requests (a hash sample), their features computed by the serving code
    // (serving/features.ts, planted skew bug included), and the actual delays as labels.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll(`
      SELECT r.flight_id, r.date::VARCHAR AS date, r.origin, r.destination, r.distance::DOUBLE AS distance, l.is_delayed::INT AS is_delayed
      FROM read_parquet(${literal(path.join(SAMPLE, 'traffic', 'requests.parquet'))}) r
      JOIN read_parquet(${literal(path.join(SAMPLE, 'traffic', 'labels.parquet'))}) l USING (flight_id)
      ORDER BY md5(r.flight_id) LIMIT ${ROWS}`)).getRowObjectsJS() as unknown as Array<RawFlight & { is_delayed: number }>;
    conn.closeSync();
    db.closeSync();
    expect(rows).toHaveLength(ROWS);
    const features = rows.map((r) => computeFeatures(r));

    d = await startDaemon(['--model', MODEL_V1]);
    trace = d.trace;
    const scores: number[] = [];
    for (let i = 0; i < rows.length; i += 1000) {
      const batch = rows.slice(i, i + 1000);
      const res = await d.client.predict({
        model: 'flights-delay', records: features.slice(i, i + 1000).map((f) => ({ ...f })),
        join_keys: batch.map((r) => r.flight_id), times: batch.map((r) => `${r.date}Z`),
      });
      for (const p of res.predictions) scores.push(p.score!);
    }
    // Labels arrive later (two hours after the scheduled departure), matched by join key.
    for (let i = 0; i < rows.length; i += 10_000) {
      await d.client.logLabels({
        source: 'ops-delays',
        labels: rows.slice(i, i + 10_000).map((r) => ({ join_key: r.flight_id, value: r.is_delayed, time: new Date(Date.parse(`${r.date}Z`) + 2 * 3600_000).toISOString() })),
      });
    }
    // The same rows as a plain file: attributes, the model's probability, the label.
    dataFile = path.join(dir, 'scored.csv');
    const header = [...ATTRIBUTES, 'probability', 'is_delayed'];
    const lines = features.map((f, i) => [...ATTRIBUTES.map((a) => String((f as unknown as Record<string, unknown>)[a])), String(scores[i]), String(rows[i]!.is_delayed)].join(','));
    writeFileSync(dataFile, [header.join(','), ...lines].join('\n') + '\n');
  });

  afterAll(async () => {
    if (d) await d.stop();
    d?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds failing slices through the daemon that holds the trace, saves and publishes them as findings', async () => {
    const r = await runCli(['slices', '--db', trace, '--save', '--json'], { SIGHTLINE_HOME: d.home });
    expect(r.code, r.stderr).toBe(0);
    viaDaemon = SliceReport.parse(JSON.parse(r.stdout));
    expect(viaDaemon).toMatchObject({ loss: 'zero_one', labels: true, n: ROWS, degree: 2, min_rows: 150, alpha: 0.05 });
    expect(viaDaemon.attributes.map((a) => a.name)).toEqual(ATTRIBUTES);
    expect(viaDaemon.slices.length).toBeGreaterThan(0);
    for (const s of viaDaemon.slices) {
      expect(s.p_adjusted).toBeLessThanOrEqual(0.05);
      expect(s.effect_size === null || s.effect_size > 0).toBe(true);
      expect(s.metric).toBeGreaterThan(s.metric_rest);
      expect(s.n).toBeGreaterThanOrEqual(150);
    }
    const effects = viaDaemon.slices.map((s) => s.effect_size ?? Infinity);
    expect([...effects].sort((a, b) => b - a)).toEqual(effects);
    process.stdout.write(`failing slices of v1 on ${ROWS} served Apr–Jun requests (error ${viaDaemon.metric_overall!.toFixed(4)} overall, ${viaDaemon.candidates} candidates, ${viaDaemon.significant} significant):\n`);
    for (const s of viaDaemon.slices.slice(0, 8)) {
      process.stdout.write(`  ${describeSlice(s.predicates).padEnd(44)} n ${String(s.n).padStart(5)}  error ${s.metric.toFixed(3)} [${s.ci[0].toFixed(3)}, ${s.ci[1].toFixed(3)}] vs ${s.metric_rest.toFixed(3)}  d ${s.effect_size?.toFixed(3)}  p_adj ${s.p_adjusted.toExponential(1)}\n`);
    }
    // Evening departures fail most on this model (the sample's README: delays pile up during the day).
    expect(viaDaemon.slices.slice(0, 5).some((s) => s.predicates.some((p) => p.feature === 'dep_hour'))).toBe(true);

    // One predicate at a time: the slices the sample's README names (evenings, JFK, ORD, Fridays).
    const single = await runCli(['slices', '--db', trace, '--degree', '1', '--json'], { SIGHTLINE_HOME: d.home });
    expect(single.code, single.stderr).toBe(0);
    const singles = SliceReport.parse(JSON.parse(single.stdout)).slices;
    process.stdout.write(`single-predicate failing slices: ${singles.map((s) => `${describeSlice(s.predicates)} (${(s.metric * 100).toFixed(1)} %)`).join('; ')}\n`);
    const names = singles.map((s) => describeSlice(s.predicates));
    for (const expected of ['origin == JFK', 'origin == ORD', 'day_of_week == Fri', 'dep_hour > 20']) expect(names).toContain(expected);

    const res = await d.client.request<{ findings: Finding[] }>('GET', '/v1/findings?kind=slice');
    expect(res.findings).toHaveLength(viaDaemon.slices.length);
    for (const f of res.findings) {
      expect(f.kind).toBe('slice');
      expect(f.baseline).toBe('rest');
      expect(f.feature).toBe((f.details.predicates as Array<{ feature: string }>)[0]!.feature);
      expect(Object.keys(f.details)).toEqual(expect.arrayContaining(['predicates', 'n', 'metric', 'ci', 'effect_size', 'p_adjusted']));
    }
  });

  it('answers the same in-process on the stopped trace, and judges without labels on request', async () => {
    expect(await d.stop()).toBe(0);
    const r = await runCli(['slices', '--db', trace, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expectSameReport(SliceReport.parse(JSON.parse(r.stdout)), viaDaemon);
    const rows = await queryTrace<{ n: number }>(trace, `SELECT count(*)::INT AS n FROM findings WHERE kind = 'slice'`);
    expect(rows[0]!.n).toBe(viaDaemon.slices.length);

    const noLabels = await runCli(['slices', '--db', trace, '--no-labels', '--degree', '1', '--json']);
    expect(noLabels.code, noLabels.stderr).toBe(0);
    const report = SliceReport.parse(JSON.parse(noLabels.stdout));
    expect(report).toMatchObject({ loss: 'score_shift', labels: false, n: ROWS, degree: 1 });
    expect(report.slices.length).toBeGreaterThan(0);

    const human = await runCli(['slices', '--db', trace, '--top', '3']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('ZERO_ONE');
    expect(human.stdout).toContain(describeSlice(viaDaemon.slices[0]!.predicates));
  });

  it('finds the same slices in a plain file with prediction and label columns', async () => {
    const r = await runCli(['slices', '--data', dataFile, '--prediction', 'probability', '--label', 'is_delayed', '--attributes', ATTRIBUTES.join(','), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = SliceReport.parse(JSON.parse(r.stdout));
    expectSameReport(report, viaDaemon);
    const logLoss = await runCli(['slices', '--data', dataFile, '--prediction', 'probability', '--label', 'is_delayed', '--loss', 'log_loss', '--degree', '1', '--json']);
    expect(logLoss.code, logLoss.stderr).toBe(0);
    expect(SliceReport.parse(JSON.parse(logLoss.stdout))).toMatchObject({ loss: 'log_loss', degree: 1 });
  });

  it('reports freshness: old model, fresh traffic, full label coverage; --check is a gate', async () => {
    const now = ['--now', '2001-07-01T00:00:00Z'];
    const r = await runCli(['freshness', '--db', trace, ...now, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = FreshnessReport.parse(JSON.parse(r.stdout));
    const m = report.models[0]!;
    expect(m).toMatchObject({ model: 'flights-delay@v1', predictions: ROWS, labelled: ROWS, label_coverage: 1, trained_at: '2001-03-01T00:00:00.000Z', trained_at_source: 'card_window', model_age_hours: 122 * 24 });
    expect(m.newest_prediction! < '2001-07-01').toBe(true);
    expect(m.prediction_age_hours!).toBeLessThan(24);
    const checks = Object.fromEntries(m.checks.map((c) => [c.check, c.ok]));
    expect(checks).toEqual({ model_age: false, prediction_age: true, label_age: true, label_coverage: true });
    expect((await runCli(['freshness', '--db', trace, ...now, '--check'])).code).toBe(1);
    const ok = await runCli(['freshness', '--db', trace, ...now, '--check', '--max-model-age-days', '180']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('flights-delay@v1');
    // Measured against the clock, April–June 2001 traffic is long stale.
    const today = FreshnessReport.parse(JSON.parse((await runCli(['freshness', '--db', trace, '--json'])).stdout));
    expect(today.models[0]!.checks.find((c) => c.check === 'prediction_age')!.ok).toBe(false);
  });

  it('refuses bad usage with exit code 2 and a message that says what to do', async () => {
    const a = await runCli(['slices']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--db TRACE');
    const b = await runCli(['slices', '--data', dataFile]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--prediction');
    const c = await runCli(['slices', '--db', trace, '--attributes', 'nope']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('"nope" is neither a feature');
    const e = await runCli(['slices', '--db', trace, '--loss', 'zero_one', '--no-labels']);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('needs labels');
    const f = await runCli(['slices', '--data', dataFile, '--prediction', 'probability', '--label', 'is_delayed', '--save']);
    expect(f.code).toBe(2);
    const g = await runCli(['freshness', '--db', trace, '--min-label-coverage', '2']);
    expect(g.code).toBe(2);
  });
});
