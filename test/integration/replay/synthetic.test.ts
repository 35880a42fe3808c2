/**
 * `sightline eval` and `sightline replay` (the built CLI, real onnxruntime sessions, a real trace
 * file) on synthetic models and data whose metrics scikit-learn computed
 * (test/fixtures/gen/replay_reference.py): every metric and interval overall and per slice, the
 * paired intervals of the deltas, flips and output differences; the runs stored in the trace.
 * Per-slice output differences are checked against the same statistics computed here, in
 * TypeScript, from synth.csv and the generator's weights (float32 arithmetic like numpy's).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ReplayReport, type MetricSet } from '../../../protocol';
import { num, pct as pctCell, signed } from '../../../daemon/reports/format';
import { runCli } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';

const F = path.join(__dirname, 'fixtures');
const ref = JSON.parse(readFileSync(path.join(F, 'synth-reference.json'), 'utf8'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-synth-'));
const trace = path.join(dir, 'ci-trace.duckdb');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The generator's models (test/fixtures/gen/replay_reference.py MODELS): p = sigmoid(w1 x1 + w2 x2 + b). */
const WEIGHTS = { v1: { w: [1.0, 0.5], b: -1.0 }, v2: { w: [1.08, 0.42], b: -1.04 } } as const;

/** A model's score in float32 arithmetic, as the generator's `scores` computes it with numpy. */
function score(v: keyof typeof WEIGHTS, x1: number, x2: number): number {
  const f = Math.fround;
  const { w, b } = WEIGHTS[v];
  const z = f(f(f(f(x1) * f(w[0])) + f(f(x2) * f(w[1]))) + f(b));
  return f(1 / f(1 + f(Math.exp(-z))));
}

/** numpy.quantile's default (linear interpolation between the closest ranks) of sorted values. */
function quantile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]!) - sorted[lo]!);
}

/** Per segment of synth.csv: the output-difference statistics of v2 − v1, computed independently of Sightline's SQL. */
function segmentDifferences(): Map<string, { n: number; mean: number; mean_abs: number; p50_abs: number; p95_abs: number; p99_abs: number; max_abs: number; within: number }> {
  const [header, ...lines] = readFileSync(path.join(F, 'synth.csv'), 'utf8').trim().split('\n');
  const col = header!.split(',');
  const by = new Map<string, number[]>();
  for (const line of lines) {
    const cells = line.split(',');
    const x1 = Number(cells[col.indexOf('x1')]);
    const x2 = Number(cells[col.indexOf('x2')]);
    const seg = cells[col.indexOf('segment')]!;
    const d = score('v2', x1, x2) - score('v1', x1, x2);
    const b = score('v1', x1, x2);
    by.set(seg, [...(by.get(seg) ?? []), d, b]);
  }
  const out = new Map();
  for (const [seg, flat] of by) {
    const d = flat.filter((_, i) => i % 2 === 0);
    const b = flat.filter((_, i) => i % 2 === 1);
    const abs = d.map(Math.abs).sort((x, y) => x - y);
    out.set(seg, {
      n: d.length,
      mean: d.reduce((s, x) => s + x, 0) / d.length,
      mean_abs: abs.reduce((s, x) => s + x, 0) / d.length,
      p50_abs: quantile(abs, 0.5),
      p95_abs: quantile(abs, 0.95),
      p99_abs: quantile(abs, 0.99),
      max_abs: abs[abs.length - 1]!,
      within: d.filter((x, i) => Math.abs(x) <= 1e-6 + 1e-6 * Math.abs(b[i]!)).length,
    });
  }
  return out;
}

type Expected = { n: number; positives: number; predicted_positives: number; metrics: Record<string, { value: number | null; ci: [number, number] | null }> };

/** onnxruntime's float32 sigmoid differs from numpy's in the last bits: ranking metrics may move by a near-tie. */
function expectMetrics(actual: MetricSet, expected: Expected): void {
  expect(actual.n).toBe(expected.n);
  if (actual.task === 'binary_classification') {
    expect(actual.positives).toBe(expected.positives);
    expect(actual.predicted_positives).toBe(expected.predicted_positives);
  }
  for (const [name, e] of Object.entries(expected.metrics)) {
    const a = (actual.metrics as Record<string, { value: number | null; ci: [number, number] | null }>)[name]!;
    const tol = name === 'roc_auc' || name === 'pr_auc' ? 2e-6 : 1e-7;
    if (e.value === null) expect(a.value, name).toBeNull();
    else expect(Math.abs(a.value! - e.value), name).toBeLessThanOrEqual(tol);
    if (e.ci === null) expect(a.ci, `${name} ci`).toBeNull();
    else {
      expect(Math.abs(a.ci![0] - e.ci[0]), `${name} ci lo`).toBeLessThanOrEqual(tol);
      expect(Math.abs(a.ci![1] - e.ci[1]), `${name} ci hi`).toBeLessThanOrEqual(tol);
    }
  }
}

describe('eval matches scikit-learn', () => {
  test('overall and per slice, with the run stored as kind eval', async () => {
    const r = await runCli(['eval', '--model', path.join(F, 'synth-v2.onnx'), '--data', path.join(F, 'synth.csv'), '--label', 'y', '--key', 'row_id', '--trace', trace, '--no-daemon', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = ReplayReport.parse(JSON.parse(r.stdout));
    expect(report).toMatchObject({ kind: 'eval', baseline: null, flips: null, task: 'binary_classification', threshold: 0.5 });
    expect(report.traffic.rows).toBe(ref.rows);
    expectMetrics(report.overall.candidate, ref.eval_v2.overall);
    for (const s of ['a', 'b', 'c', 'd']) {
      const slice = report.slices.find((x) => x.predicates.length === 1 && x.predicates[0]!.feature === 'segment' && x.predicates[0]!.value === s);
      expect(slice, s).toBeDefined();
      expectMetrics(slice!.candidate, ref.eval_v2.slices[s]);
    }
    expect(report.label_sanity).toMatchObject({ rows: ref.rows, labelled: ref.rows, coverage: 1, ok: true });
    const runs = await queryTrace<{ kind: string; status: string; data: string }>(trace, `SELECT kind, status, settings->>'data' AS data FROM runs WHERE id = '${report.run_id}'`);
    expect(runs).toEqual([{ kind: 'eval', status: 'ok', data: path.join(F, 'synth.csv') }]);
  });
});

describe('replay: paired deltas', () => {
  test('deltas, paired intervals, flips and output differences match the reference', async () => {
    const markdown = path.join(dir, 'replay.md');
    const r = await runCli(['replay', '--traffic', path.join(F, 'synth.csv'), '--model', path.join(F, 'synth-v2.onnx'), '--baseline', path.join(F, 'synth-v1.onnx'),
      '--key', 'row_id', '--trace', trace, '--no-daemon', '--json', '--batch-size', '700', '--threads', '1', '--markdown', markdown]);
    expect(r.code, r.stderr).toBe(0);
    const report = ReplayReport.parse(JSON.parse(r.stdout));
    const e = ref.replay_v2_vs_v1;
    for (const [metric, x] of Object.entries(e.deltas) as [string, { delta: number; ci: [number, number] }][]) {
      const d = report.overall.deltas.find((m) => m.metric === metric)!;
      const tol = metric === 'roc_auc' ? 2e-6 : 1e-7;
      expect(Math.abs(d.delta! - x.delta), metric).toBeLessThanOrEqual(tol);
      expect(Math.abs(d.ci![0] - x.ci[0]), `${metric} lo`).toBeLessThanOrEqual(tol);
      expect(Math.abs(d.ci![1] - x.ci[1]), `${metric} hi`).toBeLessThanOrEqual(tol);
      const band = 1e-6 + 1e-6 * Math.abs(d.baseline ?? 0); // the default --abs-tol/--rel-tol
      expect(d.regression).toBe(d.better === 'higher' ? d.ci![1] < -band : d.ci![0] > band);
    }
    expect(report.flips).toMatchObject(e.flips);
    expect(Math.abs(report.output_difference!.mean - e.output_difference.mean)).toBeLessThan(1e-7);
    expect(Math.abs(report.output_difference!.max_abs - e.output_difference.max_abs)).toBeLessThan(1e-6);
    for (const [s, flips] of Object.entries(e.segment_flips) as [string, number][]) {
      const slice = report.slices.find((x) => x.predicates[0]!.value === s)!;
      expect(slice.flip_rate! * slice.n).toBeCloseTo(flips, 6);
    }
    // Output differences per slice: the overall statistics, on each segment's rows, against the
    // values computed above (onnxruntime's float32 sigmoid may differ from numpy's in the last bits).
    const expected = segmentDifferences();
    const md = readFileSync(markdown, 'utf8');
    expect(md).toContain('| flip rate | output Δ mean | \\|Δ\\| p95 | \\|Δ\\| max |');
    for (const [s, x] of expected) {
      const slice = report.slices.find((y) => y.predicates.length === 1 && y.predicates[0]!.feature === 'segment' && y.predicates[0]!.value === s)!;
      const o = slice.output_difference!;
      expect(o, s).toBeTruthy();
      expect(o.n, s).toBe(x.n);
      expect(o.n, s).toBe(slice.n);
      expect(o.non_finite, s).toBe(0);
      expect(o.tolerance).toEqual({ abs: 1e-6, rel: 1e-6 });
      for (const k of ['mean', 'mean_abs', 'p50_abs', 'p95_abs', 'p99_abs', 'max_abs'] as const) {
        expect(Math.abs(o[k] - x[k]), `${s} ${k}: ${o[k]} vs ${x[k]}`).toBeLessThan(1e-6);
      }
      // A row at the tolerance's edge may fall either side of it by a last bit.
      expect(Math.abs(o.within_tolerance * o.n - x.within), `${s} within`).toBeLessThanOrEqual(1);
      // The Markdown slice table shows them.
      expect(md, s).toContain(`| ${pctCell(slice.flip_rate)} | ${signed(o.mean)} | ${num(o.p95_abs)} | ${num(o.max_abs)} |`);
    }
    // The slices add up to the whole: their rows, their sums of differences, their largest one.
    const all = [...expected.values()];
    expect(all.reduce((a, x) => a + x.n, 0)).toBe(ref.rows);
    expect(Math.abs(all.reduce((a, x) => a + x.mean * x.n, 0) / ref.rows - report.output_difference!.mean)).toBeLessThan(1e-7);
    expect(Math.abs(Math.max(...all.map((x) => x.max_abs)) - report.output_difference!.max_abs)).toBeLessThan(1e-6);
    // Nondeterminism is recorded: provider, onnxruntime version, threads, batching, tolerance.
    expect(report.environment).toMatchObject({ execution_providers: { 'synth@v1': 'cpu', 'synth@v2': 'cpu' }, intra_op_threads: 1, batch_size: 700, tolerance: { abs: 1e-6, rel: 1e-6 } });
    expect(report.environment.onnxruntime).toMatch(/^\d+\.\d+/);
    expect(report.throughput).toMatchObject({ rows: ref.rows, model_rows: 2 * ref.rows, batch_size: 700 });
    // The replayed predictions are in the trace, one per row and model.
    const logged = await queryTrace<{ v: string; n: number; keys: number }>(trace, `SELECT model_version AS v, count(*)::INT AS n, count(DISTINCT join_key)::INT AS keys FROM predictions WHERE source = 'replay:${report.run_id}' GROUP BY 1 ORDER BY 1`);
    expect(logged).toEqual([{ v: 'v1', n: ref.rows, keys: ref.rows }, { v: 'v2', n: ref.rows, keys: ref.rows }]);
  });

  test('the same file as candidate and baseline is bad input (exit 2)', async () => {
    const r = await runCli(['replay', '--traffic', path.join(F, 'synth.csv'), '--model', path.join(F, 'synth-v1.onnx'), '--baseline', path.join(F, 'synth-v1.onnx'), '--trace', trace, '--no-daemon', '--json', '--latency-rows', '0', '--no-log-predictions']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/same file/);
  });
});
