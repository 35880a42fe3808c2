/**
 * Slice-regression detection, shown to work: a candidate that equals the baseline (the synthetic
 * v2: p = sigmoid(1.08·x1 + 0.42·x2 − 1.04)) everywhere except segment "d", where it is pushed
 * towards the wrong class (an extra input seg_d = [segment = d] with weight −1.5; segment d is the
 * one with more positives). `sightline replay` must report exactly the slice segment = d, with its
 * Benjamini–Hochberg-adjusted p-value, and the gate `slice_regressions == 0` must fail (exit 1).
 * Rows of a, b, c differ at most in the last bits (float32 MatMul over 3 vs 2 columns): the
 * tolerance keeps them out.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ReplayReport } from '../../../protocol';
import { benjaminiHochberg, twoSidedTPValue } from '../../../daemon/analysis/slices';
import { Z95 } from '../../../daemon/analysis/metrics/intervals';
import { runCli } from '../../helpers/daemon';
import { binaryCard, linearClassifier, writeModel } from '../../helpers/onnx-builder';

const F = path.join(__dirname, 'fixtures');
const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-sliceregr-'));
const data = path.join(dir, 'synth-d.csv');
const baseline = path.join(dir, 'synth-base.onnx');
const candidate = path.join(dir, 'synth-bad-d.onnx');
const trace = path.join(dir, 'ci-trace.duckdb');

beforeAll(() => {
  const lines = readFileSync(path.join(F, 'synth.csv'), 'utf8').trim().split(/\r?\n/);
  const out = [`${lines[0]},seg_d`, ...lines.slice(1).map((l) => `${l},${l.split(',')[3] === 'd' ? 1 : 0}`)];
  writeFileSync(data, out.join('\n') + '\n');
  writeModel(baseline, linearClassifier({ features: ['x1', 'x2'], weights: [1.08, 0.42], bias: -1.04 }), binaryCard('synth', 'base', ['x1', 'x2'], { slice_attributes: ['segment'] }));
  writeModel(candidate, linearClassifier({ features: ['x1', 'x2', 'seg_d'], weights: [1.08, 0.42, -1.5], bias: -1.04 }), binaryCard('synth', 'bad-d', ['x1', 'x2', 'seg_d'], { slice_attributes: ['segment'] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a candidate worse on one slice', () => {
  test('exactly segment = d is reported, with its adjusted p-value; the gate slice_regressions == 0 fails (exit 1)', async () => {
    const r = await runCli(['replay', '--traffic', data, '--model', candidate, '--baseline', baseline, '--label', 'y', '--key', 'row_id', '--slices', 'segment',
      '--trace', trace, '--no-daemon', '--json', '--latency-rows', '0', '--threads', '1', '--gate', 'slice_regressions == 0', '--no-config-gates']);
    expect(r.code, r.stderr).toBe(1);
    const report = ReplayReport.parse(JSON.parse(r.stdout));
    expect(report.slice_regressions).toHaveLength(1);
    const s = report.slice_regressions[0]!;
    expect(s.predicates).toEqual([expect.objectContaining({ feature: 'segment', value: 'd' })]);
    expect(s.metric).toBe('log_loss');
    expect(s.delta).toBeGreaterThan(0.05);
    expect(s.candidate! - s.baseline!).toBeCloseTo(s.delta, 9);
    const segD = readFileSync(data, 'utf8').split('\n').filter((l) => l.endsWith(',1')).length;
    expect(s.n).toBe(segD);
    // The reported p is the Benjamini–Hochberg adjustment of the slice's paired t-test across
    // the tested slices (a, b, c, d; the others have no difference: p = 1).
    expect(report.slice_test).toMatchObject({ loss: 'log_loss', candidates: 4, alpha: 0.05 });
    const sd = ((s.ci![1] - s.ci![0]) / 2 / Z95) * Math.sqrt(s.n);
    const raw = twoSidedTPValue((s.delta * Math.sqrt(s.n)) / sd, s.n - 1);
    const adjusted = benjaminiHochberg([raw, 1, 1, 1])[0]!;
    expect(s.p_adjusted).not.toBeNull();
    expect(s.p_adjusted!).toBeLessThanOrEqual(0.05);
    expect(s.p_adjusted!).toBeGreaterThanOrEqual(raw);
    expect(Math.abs(s.p_adjusted! - adjusted)).toBeLessThanOrEqual(1e-9 + 1e-6 * adjusted);
    // The slice table marks it; the other segments are not regressions.
    const bySeg = new Map(report.slices.filter((x) => x.predicates.length === 1).map((x) => [String(x.predicates[0]!.value), x]));
    expect(bySeg.get('d')?.regression).toBe(true);
    for (const seg of ['a', 'b', 'c']) {
      expect(bySeg.get(seg)?.regression, seg).toBe(false);
      expect(bySeg.get(seg)?.flip_rate, seg).toBe(0);
    }
    expect(report.gates).toEqual([expect.objectContaining({ expr: 'slice_regressions == 0', passed: false, value: 1 })]);
    expect(report.passed).toBe(false);
  });

  test('the same candidate against itself: no slice regression, the gate passes (exit 0)', async () => {
    const copy = path.join(dir, 'synth-bad-d-copy.onnx');
    writeModel(copy, readFileSync(candidate), binaryCard('synth', 'bad-d-copy', ['x1', 'x2', 'seg_d'], { slice_attributes: ['segment'] }));
    const r = await runCli(['replay', '--traffic', data, '--model', candidate, '--baseline', copy, '--label', 'y', '--slices', 'segment',
      '--trace', trace, '--no-daemon', '--json', '--latency-rows', '0', '--threads', '1', '--gate', 'slice_regressions == 0', '--no-config-gates']);
    expect(r.code, r.stderr).toBe(0);
    const report = ReplayReport.parse(JSON.parse(r.stdout));
    expect(report.slice_regressions).toEqual([]);
  });
});
