import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftReport as DriftReportSchema, QualityReport as QualityReportSchema } from '../../../protocol';
import { MODEL_V1, runCli, SAMPLE, startDaemon } from '../../helpers/daemon';
import { queryTrace, sampleRecords } from '../../helpers/sample';

const BASELINE = path.join(SAMPLE, 'baselines', 'train-v1.parquet');

describe('sightline drift / quality / baseline on a real trace and on plain files', () => {
  let dir: string;
  let trace: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-cli-'));
    // A real trace: served predictions of v1 whose route_delay_rate is the serving bug's
    // constant (every route falls back to the global rate), everything else as in training.
    const d = await startDaemon(['--model', MODEL_V1]);
    trace = d.trace;
    const { records, flightIds } = await sampleRecords(3000);
    const served = records.map((r) => ({ ...r, route_delay_rate: 0.21832352173368033 }));
    for (let i = 0; i < served.length; i += 500) {
      await d.client.predict({ model: 'flights-delay', records: served.slice(i, i + 500), join_keys: flightIds.slice(i, i + 500) });
    }
    expect(await d.stop()).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('registers the training table as a baseline with a stored profile', async () => {
    const r = await runCli(['baseline', 'add', 'train-v1', BASELINE, '--trace', trace, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.rows).toBe(100000);
    expect(info.profile.features.find((f: { name: string }) => f.name === 'origin').kind).toBe('categorical');
    const again = await runCli(['baseline', 'add', 'train-v1', BASELINE, '--trace', trace]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });

  it('finds the skewed feature as drift against the baseline and saves it as a finding', async () => {
    const r = await runCli(['drift', '--db', trace, '--baseline', 'train-v1', '--save', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = DriftReportSchema.parse(JSON.parse(r.stdout));
    expect(report.drifted).toEqual(['route_delay_rate']);
    const f = report.features.find((x) => x.name === 'route_delay_rate')!;
    expect(f.n_ref).toBe(100000);
    expect(f.n_cur).toBe(3000);
    const findings = await queryTrace<{ kind: string; feature: string; metric: string; baseline: string; details: string }>(trace, 'SELECT * FROM findings');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ kind: 'drift', feature: 'route_delay_rate', baseline: 'train-v1' });
    const details = JSON.parse(findings[0]!.details);
    expect(details.histogram.ref).toHaveLength(details.histogram.edges.length + 1);
    expect(details.histogram.cur.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('reports the constant serving feature as a quality violation', async () => {
    const r = await runCli(['quality', '--db', trace, '--baseline', 'train-v1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = QualityReportSchema.parse(JSON.parse(r.stdout));
    expect(report.violations.map((v) => `${v.feature}:${v.check}`)).toContain('route_delay_rate:constant_column');
  });

  it('compares a window with the one before (previous) and a week earlier, for drift and quality', async () => {
    const prev = await runCli(['drift', '--db', trace, '--baseline', 'previous', '--last', '1000', '--json']);
    expect(prev.code, prev.stderr).toBe(0);
    const report = DriftReportSchema.parse(JSON.parse(prev.stdout));
    // The 1000 predictions before the newest 1000, of the same served traffic.
    expect(report.features.find((f) => f.name === 'distance')).toMatchObject({ n_ref: 1000, n_cur: 1000 });
    expect(report.features.map((f) => f.name)).toEqual(expect.arrayContaining(['prediction', 'label:is_delayed']));
    const quality = await runCli(['quality', '--db', trace, '--baseline', 'previous', '--last', '1000', '--json']);
    expect(quality.code, quality.stderr).toBe(0);
    const violations = QualityReportSchema.parse(JSON.parse(quality.stdout)).violations;
    expect(violations.filter((v) => v.check === 'type_change' || v.check === 'volume_drop')).toEqual([]);
    // All predictions were served within seconds: a week earlier holds none.
    const weekAgo = await runCli(['quality', '--db', trace, '--baseline', 'week-ago', '--last', '1000']);
    expect(weekAgo.code).toBe(2);
    expect(weekAgo.stderr).toContain('holds no predictions');
    const unbounded = await runCli(['drift', '--db', trace, '--baseline', 'previous']);
    expect(unbounded.code).toBe(2);
    expect(unbounded.stderr).toContain('add --last N');
    const badRows = await runCli(['quality', '--db', trace, '--baseline', 'previous', '--last', '10', '--expected-rows', 'many']);
    expect(badRows.code).toBe(2);
    expect(badRows.stderr).toContain('--expected-rows');
  });

  it('says why the prediction is not compared with a baseline that has no prediction column', async () => {
    const r = await runCli(['drift', '--db', trace, '--baseline', 'train-v1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('not compared: prediction: baseline "train-v1" has no column "probability"');
  });

  it('documents its JSON: `sightline schema DriftReport` and `sightline schema QualityReport`', async () => {
    const drift = await runCli(['schema', 'DriftReport']);
    expect(drift.code, drift.stderr).toBe(0);
    const d = JSON.parse(drift.stdout);
    expect(d.required).toEqual(['features', 'drifted']);
    const kinds = d.properties.features.items.oneOf;
    expect(kinds.map((k: { properties: { kind: { const: string } } }) => k.properties.kind.const)).toEqual(['numeric', 'categorical']);
    expect(kinds[0].required).toEqual(expect.arrayContaining(['name', 'kind', 'n_ref', 'n_cur', 'missing_ref', 'missing_cur', 'metrics', 'drift', 'score', 'method', 'threshold']));
    expect(Object.keys(kinds[0].properties.metrics.properties)).toEqual(['ks', 'wasserstein', 'wasserstein_norm', 'psi', 'js']);
    expect(Object.keys(kinds[1].properties.metrics.properties)).toEqual(['linf', 'js', 'psi', 'chi2']);
    expect(d.properties.skipped.items.required).toEqual(['name', 'reason']);
    const quality = await runCli(['schema', 'QualityReport']);
    expect(quality.code, quality.stderr).toBe(0);
    const q = JSON.parse(quality.stdout);
    expect(q.required).toEqual(['violations']);
    const checks = q.properties.violations.items.oneOf;
    expect(checks.map((c: { properties: { check: { const: string } } }) => c.properties.check.const)).toEqual([
      'type_change', 'missing_column', 'out_of_range', 'unseen_categories', 'missing_rate_jump', 'cardinality_jump', 'volume_drop', 'constant_column',
    ]);
    expect(checks[0].required).toEqual(['feature', 'check', 'severity', 'observed', 'expected']);
  });

  it('compares plain files and honours --categorical', async () => {
    const ref = path.join(dir, 'ref.csv');
    const cur = path.join(dir, 'cur.csv');
    writeFileSync(ref, 'code,x\n' + Array.from({ length: 400 }, (_, i) => `${i % 4},${i % 10}`).join('\n'));
    writeFileSync(cur, 'code,x\n' + Array.from({ length: 400 }, (_, i) => `${i % 2},${(i % 10) + 5}`).join('\n'));
    const r = await runCli(['drift', '--reference', ref, '--current', cur, '--categorical', 'code', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = DriftReportSchema.parse(JSON.parse(r.stdout));
    const code = report.features.find((f) => f.name === 'code')!;
    expect(code.kind).toBe('categorical');
    // Reference: 4 codes × 25 %; current: codes 0,1 × 50 % → L∞ = 0.25.
    expect(code.kind === 'categorical' && code.metrics.linf).toBeCloseTo(0.25, 12);
    expect(report.drifted.sort()).toEqual(['code', 'x']);
  });

  it('refuses bad usage with exit code 2 and a message that says what to do', async () => {
    const a = await runCli(['drift', '--db', trace]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--baseline');
    const b = await runCli(['drift', '--db', trace, '--baseline', 'nope']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('no baseline "nope"');
    const c = await runCli(['drift', '--reference', path.join(dir, 'missing.csv'), '--current', path.join(dir, 'missing.csv')]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('file not found');
  });

  it('exports JSON Schema for every wire message', async () => {
    const r = await runCli(['schema', 'PredictRequest']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.model.type).toBe('string');
    const all = JSON.parse((await runCli(['schema'])).stdout);
    for (const name of ['PredictResponse', 'LabelsRequest', 'ModelsResponse', 'ClientMessage', 'ServerMessage', 'ErrorBody']) expect(all[name], name).toBeTruthy();
  });
});
