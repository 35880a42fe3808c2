import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffReport } from '../../../protocol';
import { TraceStore } from '../../../daemon/store/trace-store';
import { runCli } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';
import { buildSharingTrace, type SharingTrace } from './fixture';

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

/** A replay run as `sightline replay` stores it (the fields diff reads). */
function replayRun(id: string, auc: number, passed: boolean, p99: number): string {
  const results = {
    schema: 1, kind: 'replay', run_id: id, passed,
    baseline: { name: 'flights-delay', version: 'v1' }, candidate: { name: 'flights-delay', version: 'v2' },
    overall: { n: 900, baseline: { task: 'binary_classification', metrics: { roc_auc: 0.66, log_loss: 0.47 } }, candidate: { task: 'binary_classification', metrics: { roc_auc: auc, log_loss: 0.45 } }, deltas: [] },
    latency: [{ model: 'flights-delay@v2', role: 'candidate', p50_ms: 1.2, p95_ms: 2.0, p99_ms: p99 }],
  };
  return `INSERT INTO runs (id, kind, started, ended, status, settings, results, gates) VALUES ('${id}', 'replay', now(), now(), 'done', '{}', '${JSON.stringify(results)}', '[]')`;
}

describe('sightline diff', () => {
  let dir: string;
  let src: SharingTrace;
  let a: string;
  let b: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-diff-'));
    src = await buildSharingTrace(dir, 600);
    a = src.trace;
    b = path.join(dir, 'b.duckdb');
    const r = await runCli(['export', a, '--out', b, '--limit', '400']);
    expect(r.code, r.stderr).toBe(0);
    // A: a replay of v1 → v2. B: the model file changed under the same version, another model
    // appeared, drift cleared, quality got worse, a new slice finding, and the replay ran again.
    const sa = await TraceStore.open(a);
    await sa.conn.run(replayRun('replay-a', 0.7, true, 3.5));
    sa.close();
    const sb = await TraceStore.open(b);
    await sb.conn.run(`UPDATE models SET id = '${'f'.repeat(64)}' WHERE name = 'flights-delay'`);
    await sb.conn.run(`INSERT INTO models (id, name, version, path, inputs, outputs, card) VALUES ('${'e'.repeat(64)}', 'flights-delay', 'v2', NULL, '[]', '[]', '{}')`);
    await sb.conn.run(`DELETE FROM findings WHERE kind = 'drift'`);
    await sb.conn.run(`UPDATE findings SET score = 0.5 WHERE kind = 'skew'`);
    await sb.conn.run(`INSERT INTO findings (id, kind, feature, model_name, score, threshold, metric, baseline, window_desc, details) VALUES ('new-slice', 'slice', 'origin', 'flights-delay', 0.8, 0.2, 'error_rate', NULL, 'all models', '{}')`);
    await sb.conn.run(replayRun('replay-b', 0.65, false, 4.5));
    await sb.conn.run(`INSERT INTO runs (id, kind, started, status, results) VALUES ('eval-b', 'eval', now(), 'done', '{"candidate":{"name":"flights-delay","version":"v2"},"overall":{"candidate":{"metrics":{"accuracy":0.8}}}}')`);
    sb.close();
  }, 300_000); // builds a trace with the real daemon: slow on a loaded machine
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compares models by hash and name@version, prediction counts, findings with scores and run metrics, opening both read-only', async () => {
    const before = [sha(a), sha(b)];
    const r = await runCli(['diff', a, b, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = DiffReport.parse(JSON.parse(r.stdout));
    expect([sha(a), sha(b)]).toEqual(before);

    expect(d.a.predictions).toBe(600);
    expect(d.b.predictions).toBe(400);
    expect(d.models.changed).toEqual([{ name: 'flights-delay', version: 'v1', id_a: src.modelId, id_b: 'f'.repeat(64) }]);
    expect(d.models.added).toEqual([{ id: 'e'.repeat(64), name: 'flights-delay', version: 'v2' }]);
    expect(d.models.removed).toEqual([]);
    expect(d.predictions).toEqual([{ model: 'flights-delay@v1', source: 'served', a: 600, b: 400, delta: -200 }]);

    const [drift] = await queryTrace<{ n: number }>(a, `SELECT count(*)::INTEGER AS n FROM findings WHERE kind = 'drift'`);
    expect(Number(drift!.n)).toBeGreaterThan(0);
    expect(d.findings.removed.map((f) => f.kind)).toEqual(Array(Number(drift!.n)).fill('drift'));
    expect(d.findings.added).toEqual([{ kind: 'slice', model_name: 'flights-delay', feature: 'origin', metric: 'error_rate', baseline: null, score_a: null, score_b: 0.8, delta: null }]);
    const skew = d.findings.changed.find((f) => f.kind === 'skew')!;
    expect(skew).toMatchObject({ feature: 'route_delay_rate', score_a: 0.97, score_b: 0.5 });
    expect(skew.delta).toBeCloseTo(-0.47, 12);
    expect(d.findings.unchanged).toBeGreaterThan(0); // the quality findings

    expect(d.runs.compared).toHaveLength(1);
    const run = d.runs.compared[0]!;
    expect(run).toMatchObject({ id_a: 'replay-a', id_b: 'replay-b', kind: 'replay', label: 'flights-delay@v1 → flights-delay@v2', passed_a: true, passed_b: false });
    expect(run.metrics.find((m) => m.metric === 'roc_auc')).toMatchObject({ a: 0.7, b: 0.65 });
    expect(run.metrics.find((m) => m.metric === 'roc_auc')!.delta).toBeCloseTo(-0.05, 12);
    expect(run.metrics.find((m) => m.metric === 'latency.candidate.p99_ms')).toMatchObject({ a: 3.5, b: 4.5, delta: 1 });
    expect(run.metrics.find((m) => m.metric === 'baseline.roc_auc')).toMatchObject({ a: 0.66, b: 0.66, delta: 0 });
    expect(d.runs.only_b).toEqual([{ id: 'eval-b', kind: 'eval', label: 'flights-delay@v2' }]);

    const text = await runCli(['diff', a, b]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`~ flights-delay@v1 ${src.modelId.slice(0, 12)} → ffffffffffff (same version, different file)`);
    expect(text.stdout).toContain('flights-delay@v1 [served] 600 → 400 (-200)');
    expect(text.stdout).toContain('~ skew route_delay_rate mismatch_rate [flights-delay] vs features.py score 0.970 → 0.500 (-0.470)');
    expect(text.stdout).toContain('roc_auc 0.700 → 0.650 (-0.050)');
    expect(text.stdout).toContain('gates passed → failed');
  });

  it('finds nothing between a trace and itself, and refuses a missing file with exit 2', async () => {
    const same = DiffReport.parse(JSON.parse((await runCli(['diff', a, a, '--json'])).stdout));
    expect(same.models.changed.length + same.models.added.length + same.models.removed.length).toBe(0);
    expect(same.findings.added.length + same.findings.removed.length + same.findings.changed.length).toBe(0);
    expect(same.runs.compared[0]!.metrics.every((m) => m.delta === 0)).toBe(true);
    const missing = await runCli(['diff', a, path.join(dir, 'nope.duckdb')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('not found');
  });
});
