/**
 * The issue's "done when" on the flights sample, through the built CLI: `replay` of v2 against v1
 * on captured raw traffic (through the serving feature code, labels joined by flight_id) produces
 * every output — JSON, JUnit, SARIF 2.1.0 (validated against the official schema; regressions on
 * the feature definitions), Markdown with the gate table, the run and the replayed predictions in
 * the trace; a gate that should fail does (exit 1), one that should pass does (exit 0), an unknown
 * gate name is bad input (exit 2). Kept to a few thousand rows.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ReplayReport, ValidationReport } from '../../../protocol';
import { MODEL_V1, MODEL_V2, ROOT, runCli, SAMPLE } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';
import { sarifValidator } from './sarif-schema';
import { replaySarif } from '../../../daemon/reports/sarif';
import { locator } from '../../../daemon/replay/run';
import { openWorkspace } from '../../../daemon/replay/workspace';

const xml2js = createRequire(__filename)('xml2js') as { parseStringPromise: (xml: string) => Promise<Record<string, unknown>> };

const TRANSFORM = `node ${path.join(ROOT, 'dist', 'samples', 'serving-features.js')}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-sample-replay-'));
const trace = path.join(dir, 'ci-trace.duckdb');
const out = (f: string): string => path.join(dir, f);
const base = [
  'replay', '--traffic', path.join(SAMPLE, 'traffic', 'requests.parquet'), '--transform', TRANSFORM,
  '--labels', path.join(SAMPLE, 'traffic', 'labels.parquet'), '--key', 'flight_id',
  '--model', MODEL_V2, '--baseline', MODEL_V1, '--limit', '4000', '--trace', trace, '--no-daemon', '--latency-rows', '300',
];
let report: ReplayReport;
let first: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  first = await runCli([...base, '--gate', 'flip_rate < 0.001', '--gate', 'label_coverage >= 0.9', '--json',
    '--junit', out('junit.xml'), '--sarif', out('replay.sarif'), '--markdown', out('replay.md'), '--report-root', ROOT]);
  report = ReplayReport.parse(JSON.parse(first.stdout));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('replay v2 against v1 on the sample', () => {
  test('a gate that should fail does: exit 1, and the report says which', () => {
    expect(first.code, first.stderr).toBe(1);
    expect(report.passed).toBe(false);
    expect(report.gates.map((g) => [g.expr, g.passed])).toEqual([['flip_rate < 0.001', false], ['label_coverage >= 0.9', true]]);
    expect(report.gates[0]!.value).toBe(report.flips!.rate);
  });

  test('the report: traffic through the serving code, both models, flips, differences, deltas, slices, latency, drift, labels', () => {
    expect(report.kind).toBe('replay');
    expect(report.traffic.rows).toBe(4000);
    expect(report.traffic.source).toContain('serving-features.js');
    expect(report.baseline).toMatchObject({ name: 'flights-delay', version: 'v1', execution_provider: 'cpu' });
    expect(report.candidate).toMatchObject({ name: 'flights-delay', version: 'v2' });
    expect(report.flips!.n).toBe(4000);
    expect(report.flips!.count).toBeGreaterThan(0);
    expect(report.flips!.examples.length).toBeGreaterThan(0);
    expect(report.flips!.examples[0]).toMatchObject({ join_key: expect.stringMatching(/^F\d+$/), features: expect.objectContaining({ origin: expect.any(String), route_delay_rate: expect.any(Number) }) });
    expect(report.output_difference!.within_tolerance).toBeLessThan(1);
    expect(report.overall.n).toBe(4000);
    expect(report.overall.deltas.map((d) => d.metric)).toEqual(['roc_auc', 'pr_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'brier', 'ece', 'abs_bias']);
    const auc = report.overall.deltas.find((d) => d.metric === 'roc_auc')!;
    expect(auc.ci![0]).toBeLessThan(auc.delta!);
    expect(auc.method).toBe('DeLong (paired)');
    expect(report.slices.length).toBeGreaterThan(20);
    expect(report.slices.some((s) => s.predicates[0]!.feature === 'origin')).toBe(true);
    expect(report.slice_test).toMatchObject({ loss: 'log_loss', alpha: 0.05 });
    for (const r of report.slice_regressions) expect(r.p_adjusted).toBeLessThanOrEqual(0.05);
    expect(report.latency.map((l) => l.role)).toEqual(['baseline', 'candidate']);
    expect(report.latency[1]!.p99_ms).toBeGreaterThanOrEqual(report.latency[1]!.p50_ms);
    expect(report.prediction_drift).toMatchObject({ method: expect.any(String), drift: expect.any(Boolean) });
    expect(report.label_sanity).toMatchObject({ coverage: 1, ok: true, baseline_source: expect.stringContaining('train-v1') });
    expect(report.label_sanity.baseline_positive_rate).toBeCloseTo(0.21777, 5);
    expect(report.environment.execution_providers).toEqual({ 'flights-delay@v1': 'cpu', 'flights-delay@v2': 'cpu' });
  });

  test('the run and the replayed predictions are in the trace', async () => {
    const runs = await queryTrace<{ kind: string; status: string; gates: string }>(trace, `SELECT kind, status, gates::VARCHAR AS gates FROM runs WHERE id = '${report.run_id}'`);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ kind: 'replay', status: 'failed' });
    expect(JSON.parse(runs[0]!.gates)).toHaveLength(2);
    const [stored] = await queryTrace<{ results: string }>(trace, `SELECT results::VARCHAR AS results FROM runs WHERE id = '${report.run_id}'`);
    expect(ReplayReport.parse(JSON.parse(stored!.results)).run_id).toBe(report.run_id);
    const preds = await queryTrace<{ n: number }>(trace, `SELECT count(*)::INT AS n FROM predictions WHERE source = 'replay:${report.run_id}'`);
    expect(preds[0]!.n).toBe(8000);
  });

  test('JUnit: one test case per gate, the failure counted', async () => {
    const xml = await xml2js.parseStringPromise(readFileSync(out('junit.xml'), 'utf8'));
    const suites = xml.testsuites as { $: Record<string, string>; testsuite: Array<{ $: Record<string, string>; testcase: Array<{ $: Record<string, string>; failure?: unknown[] }> }> };
    expect(suites.$).toMatchObject({ tests: '2', failures: '1' });
    const suite = suites.testsuite[0]!;
    expect(suite.$).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    expect(suite.testcase.map((t) => [t.$.name, Boolean(t.failure)])).toEqual([['flip_rate < 0.001', true], ['label_coverage >= 0.9', false]]);
  });

  test('SARIF validates against the SARIF 2.1.0 schema; regressions land on feature definitions', () => {
    const sarif = JSON.parse(readFileSync(out('replay.sarif'), 'utf8'));
    const { valid, errors } = sarifValidator()(sarif);
    expect(errors).toEqual([]);
    expect(valid).toBe(true);
    const results = sarif.runs[0].results as Array<{ ruleId: string; locations?: Array<{ physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region?: { startLine: number } } }> }>;
    const gate = results.find((r) => r.ruleId === 'sightline/gate-failed');
    expect(gate).toBeDefined();
    const uris = new Set(results.flatMap((r) => (r.locations ?? []).map((l) => l.physicalLocation.artifactLocation.uri)));
    for (const uri of uris) expect(existsSync(path.join(ROOT, uri)), uri).toBe(true);
    // Every slice regression points at the definitions of its features, on both feature paths.
    for (const reg of report.slice_regressions) {
      const files = (reg.locations ?? []).map((l) => path.relative(ROOT, l.file));
      expect(files).toContain(path.join('samples', 'flights', 'features.py'));
      expect(files).toContain(path.join('samples', 'flights', 'serving', 'features.ts'));
    }
    expect(results.filter((r) => r.ruleId === 'sightline/slice-regression').length).toBe(report.slice_regressions.reduce((a, r) => a + (r.locations?.length || 1), 0));
    // The validator does reject what is not SARIF.
    expect(sarifValidator()({ version: '2.1.0' }).valid).toBe(false);
    expect(sarifValidator()({ ...sarif, runs: [{ ...sarif.runs[0], results: [{ ...results[0], level: 'fatal' }] }] }).valid).toBe(false);
  });

  test('SARIF: a slice regression on origin points at origin in features.py and serving/features.ts', () => {
    const locate = locator(openWorkspace(SAMPLE), []);
    const locations = locate('origin')!;
    expect(locations.map((l) => [path.relative(ROOT, l.file), l.line])).toEqual([
      [path.join('samples', 'flights', 'features.py'), 92],
      [path.join('samples', 'flights', 'serving', 'features.ts'), 129],
    ]);
    const withOrigin = { ...report, slice_regressions: [{ predicates: [{ feature: 'origin', op: '==' as const, value: 'ORD' }], n: 120, metric: 'log_loss', baseline: 0.5, candidate: 0.6, delta: 0.1, ci: [0.05, 0.15] as [number, number], p_adjusted: 0.001, locations }] };
    const sarif = replaySarif(withOrigin, { root: ROOT }) as { runs: Array<{ results: Array<{ ruleId: string; message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number } } }> }> }> };
    expect(sarifValidator()(sarif).errors).toEqual([]);
    const regs = sarif.runs[0]!.results.filter((r) => r.ruleId === 'sightline/slice-regression');
    expect(regs.map((r) => [r.locations[0]!.physicalLocation.artifactLocation.uri, r.locations[0]!.physicalLocation.region.startLine])).toEqual([
      ['samples/flights/features.py', 92],
      ['samples/flights/serving/features.ts', 129],
    ]);
    expect(regs[0]!.locations[0]!.physicalLocation.artifactLocation.uriBaseId).toBe('SRCROOT');
    expect(regs[0]!.message.text).toMatch(/origin == ORD .*feature "origin"/);
  });

  test('Markdown for a pull request: verdict, the gate table, metrics', () => {
    const md = readFileSync(out('replay.md'), 'utf8');
    expect(md).toMatch(/^## ❌ Sightline replay: flights-delay@v2 vs flights-delay@v1/);
    expect(md).toContain('| | Gate | Value | |');
    expect(md).toContain('| ❌ | `flip_rate < 0.001` |');
    expect(md).toContain('| ✅ | `label_coverage >= 0.9` | 1 |');
    expect(md).toContain('| roc_auc |');
    expect(md).toContain('### Latency');
  });

  test('a gate that should pass does (exit 0), from sightline.json-style config', async () => {
    const gates = out('gates.json');
    writeFileSync(gates, JSON.stringify({ replay: ['flip_rate < 0.05', 'label_coverage >= 0.9', 'auc_delta > -0.05'] }));
    const r = await runCli([...base, '--gates', gates, '--latency-rows', '0', '--no-log-predictions']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('gates: 3/3 passed');
    expect(r.stdout).toMatch(/PASS flip_rate < 0\.05/);
  });

  test('an unknown gate name is bad input (exit 2) naming the known ones, before any scoring', async () => {
    const r = await runCli([...base, '--gate', 'flip_ratio < 0.02']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no value named "flip_ratio".*Known: .*flip_rate/);
    expect(r.stderr).not.toMatch(/scoring/);
  });

  test('labels that look incomplete are a warning, and a gate can fail on them', async () => {
    const labels = out('few-labels.csv');
    const ids = (await queryTrace<{ join_key: string }>(trace, `SELECT join_key FROM predictions WHERE source = 'replay:${report.run_id}' AND model_version = 'v2' ORDER BY join_key LIMIT 1000`)).map((r) => r.join_key);
    writeFileSync(labels, `flight_id,is_delayed\n${ids.map((k) => `${k},0`).join('\n')}\n`);
    const args = base.map((a) => (a === path.join(SAMPLE, 'traffic', 'labels.parquet') ? labels : a));
    const r = await runCli([...args, '--gate', 'labels_ok == 1', '--latency-rows', '0', '--no-log-predictions', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const rep = ReplayReport.parse(JSON.parse(r.stdout));
    expect(rep.label_sanity.coverage).toBeCloseTo(0.25, 5);
    expect(rep.label_sanity.ok).toBe(false);
    expect(rep.label_sanity.warnings.join(' ')).toMatch(/only 25\.0 % of the rows have a label/);
    expect(rep.label_sanity.warnings.join(' ')).toMatch(/positive rate/);
    expect(rep.warnings).toEqual(expect.arrayContaining(rep.label_sanity.warnings));
  });
});

describe('defaults from the workspace (what the editor command sends)', () => {
  test('no --transform, --labels or --baseline: sightline.json "transform", "labels"/"joinKey" and the previous model version', async () => {
    const ws = mkdtempSync(path.join(os.tmpdir(), 'sightline-ws-'));
    try {
      writeFileSync(path.join(ws, 'sightline.json'), JSON.stringify({
        models: [MODEL_V1, MODEL_V2],
        labels: path.join(SAMPLE, 'traffic', 'labels.parquet'),
        joinKey: 'flight_id',
        transform: TRANSFORM,
        gates: { replay: ['flip_rate < 0.05'] },
      }));
      const r = await runCli(['replay', '--traffic', path.join(SAMPLE, 'traffic', 'requests.parquet'), '--model', MODEL_V2, '--workspace', ws, '--limit', '1000', '--trace', trace, '--no-daemon', '--json', '--latency-rows', '0']);
      expect(r.code, r.stderr).toBe(0);
      const rep = ReplayReport.parse(JSON.parse(r.stdout));
      expect(rep.baseline).toMatchObject({ version: 'v1' });
      expect(rep.traffic.rows).toBe(1000);
      expect(rep.label_sanity.coverage).toBe(1);
      expect(rep.gates).toEqual([expect.objectContaining({ expr: 'flip_rate < 0.05', passed: true, source: { kind: 'config', file: path.join(ws, 'sightline.json'), line: 1 } })]);
      expect(rep.warnings.join(' ')).toMatch(/workspace's transform/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});

describe('validate', () => {
  test('the sample model passes every check; a broken card fails (exit 1)', async () => {
    const r = await runCli(['validate', MODEL_V2, '--json', '--calls', '50']);
    expect(r.code, r.stderr).toBe(0);
    const v = ValidationReport.parse(JSON.parse(r.stdout));
    expect(v.ok).toBe(true);
    expect(v.model).toMatchObject({ name: 'flights-delay', version: 'v2', execution_provider: 'cpu' });
    expect(v.model.id).toMatch(/^[0-9a-f]{64}$/);
    expect(v.checks.map((c) => c.check)).toEqual(['load', 'card', 'signature', 'outputs', 'feature_map', 'smoke', 'range', 'classes', 'latency', 'memory']);
    expect(v.smoke).toMatchObject({ source: 'train-v1.parquet', rows: 64 });
    expect(v.latency!.p99_ms).toBeGreaterThanOrEqual(v.latency!.p50_ms);

    // A copy whose card names a feature no input has: the signature check fails.
    const copy = out('broken.onnx');
    writeFileSync(copy, readFileSync(MODEL_V2));
    const card = JSON.parse(readFileSync(MODEL_V2.replace(/\.onnx$/, '.sightline.json'), 'utf8'));
    card.features = card.features.filter((f: { name: string }) => f.name !== 'origin');
    writeFileSync(out('broken.sightline.json'), JSON.stringify(card));
    const bad = await runCli(['validate', copy, '--workspace', SAMPLE]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL signature/);
  });
});
