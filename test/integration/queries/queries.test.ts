/**
 * The editor's WebSocket queries against a real daemon on a real trace (fixture.ts): pages of
 * predictions with filters, one prediction with its inputs and trace, drift distribution and
 * timeline (cross-checked with `drift` and the saved findings), baselines, failing slices, and
 * replay/eval runs (empty, then a stored run after a restart on the same trace).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamConnection } from '../../../clients/typescript/client';
import {
  BaselinesResult, DriftDistribution, DriftQueryResult, DriftTimeline, FindingsQueryResult, PredictionDetail, PredictionsPage,
  ReplayReport, RunResult, RunsResult, SlicesResult, TraceResult,
} from '../../../protocol';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { CARD_V1 } from '../../helpers/sample';
import { REPLAY_RUN_ID, writeReplayRun } from '../../webviews/replay-fixture';
import { buildSampleTrace, type SampleTrace } from './fixture';

describe('editor queries on a real trace', () => {
  let t: SampleTrace;
  let s: StreamConnection;
  const q = <T>(method: string, params?: unknown): Promise<T> => s.query<T>(method, params);
  const refused = async (method: string, params: unknown): Promise<{ code: string; message: string }> => {
    try {
      await q(method, params);
    } catch (err) {
      return { code: String((err as { code?: string }).code), message: (err as Error).message };
    }
    throw new Error(`${method} was not refused`);
  };

  beforeAll(async () => {
    t = await buildSampleTrace({ requests: 3000 });
    s = await StreamConnection.open(t.daemon.info);
  });
  afterAll(async () => {
    s?.close();
    await t?.daemon.stop();
    t?.daemon.cleanup();
  });

  it('predictions: pages of at most 200, disjoint, covering exactly the filtered rows', async () => {
    const all = PredictionsPage.parse(await q('predictions', { page_size: 200 }));
    // Every request was scored by v1 (served) and v2 (shadow).
    expect(all.total).toBe(2 * t.requests);
    expect(all.rows).toHaveLength(200);
    expect(all.models).toEqual([{ name: 'flights-delay', version: 'v1', n: t.requests }, { name: 'flights-delay', version: 'v2', n: t.requests }]);
    expect(all.features).toEqual(CARD_V1.features.slice(0, 4).map((f) => f.name));
    const times = all.rows.map((r) => Date.parse(r.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const filters = { model: 'flights-delay@v1', labelled: true };
    const first = PredictionsPage.parse(await q('predictions', { page: 0, page_size: 150, filters, sort: 'score_desc' }));
    expect(first.total).toBe(t.labelled);
    const second = PredictionsPage.parse(await q('predictions', { page: 1, page_size: 150, filters, sort: 'score_desc' }));
    const ids = new Set(first.rows.map((r) => r.id));
    expect(second.rows.some((r) => ids.has(r.id))).toBe(false);
    expect(first.rows.at(-1)!.score!).toBeGreaterThanOrEqual(second.rows[0]!.score!);
    for (const r of [...first.rows, ...second.rows]) {
      expect(r).toMatchObject({ model: 'flights-delay', version: 'v1', source: 'served' });
      expect(r.label === 0 || r.label === 1).toBe(true);
    }
    const pending = PredictionsPage.parse(await q('predictions', { page_size: 1, filters: { model: 'flights-delay@v1', labelled: false } }));
    expect(pending.total).toBe(t.requests - t.labelled);
    expect(pending.rows[0]!.label).toBeNull();
    expect(pending.rows[0]!.time >= '2001-06-16').toBe(true);
  });

  it('predictions: slice predicates, score range and time range filter in SQL', async () => {
    const predicates = [{ feature: 'origin', op: '==', value: 'ORD' }, { feature: 'dep_hour', op: '>', value: 17 }];
    const page = PredictionsPage.parse(await q('predictions', { page_size: 200, filters: { source: 'served', predicates, score_min: 0.2, score_max: 0.6, since: '2001-05-01', until: '2001-06-01' }, features: ['origin', 'dep_hour'] }));
    expect(page.total).toBeGreaterThan(0);
    expect(page.total).toBeLessThanOrEqual(200);
    expect(page.rows).toHaveLength(page.total);
    for (const r of page.rows) {
      expect(r.features.origin).toBe('ORD');
      expect(r.features.dep_hour as number).toBeGreaterThan(17);
      expect(r.score!).toBeGreaterThanOrEqual(0.2);
      expect(r.score!).toBeLessThanOrEqual(0.6);
      expect(r.time >= '2001-05-01' && r.time < '2001-06-01').toBe(true);
    }
  });

  it('predictions: refuses oversized pages, unknown features and bad times with typed errors', async () => {
    expect(await refused('predictions', { page_size: 201 })).toMatchObject({ code: 'invalid_request' });
    expect(await refused('predictions', { filters: { predicates: [{ feature: 'no_such_feature', op: '==', value: 'x' }] } })).toMatchObject({ code: 'unknown_feature' });
    expect(await refused('predictions', { filters: { since: 'yesterday' } })).toMatchObject({ code: 'bad_value' });
  });

  it('prediction: inputs by feature name, outputs, label, and its trace back to the training run', async () => {
    const page = PredictionsPage.parse(await q('predictions', { page_size: 1, filters: { model: 'flights-delay@v1', labelled: true } }));
    const id = page.rows[0]!.id;
    const d = PredictionDetail.parse(await q('prediction', { id }));
    expect(d.id).toBe(id);
    expect(Object.keys(d.inputs)).toEqual(CARD_V1.features.map((f) => f.name));
    expect(d.inputs.origin).toBe(page.rows[0]!.features.origin);
    expect(d.model).toMatchObject({ name: 'flights-delay', version: 'v1' });
    expect(d.execution_provider).toBe('cpu');
    expect(d.label).toMatchObject({ value: page.rows[0]!.label, source: 'ops-delays' });
    expect(d.join_key).toMatch(/^F\d+$/);
    expect(Object.keys(d.outputs).length).toBeGreaterThan(0);
    const trace = TraceResult.parse(d.trace);
    expect(trace.root).toBe(`prediction:${id}`);
    const run = trace.nodes.find((n) => n.type === 'run' && n.id === t.trainRunId);
    expect(run).toMatchObject({ component: 'train', git_commit: t.commit });
    expect(await refused('prediction', { id: '0190c0de-0000-7000-8000-000000000000' })).toMatchObject({ code: 'not_found' });
    expect(await refused('prediction', { id: 'not-a-uuid' })).toMatchObject({ code: 'bad_value' });
  });

  it('drift_distribution: the bins drift uses, equal to the histogram saved with the drift finding', async () => {
    const drift = DriftQueryResult.parse(await q('drift', { baseline: 'train-v1', window: { model: 'flights-delay' } }));
    expect(drift.report.drifted).toContain('route_delay_rate');
    const dist = DriftDistribution.parse(await q('drift_distribution', { feature: 'route_delay_rate', baseline: 'train-v1', window: { model: 'flights-delay' } }));
    const { findings } = FindingsQueryResult.parse(await q('findings', { kind: 'drift', feature: 'route_delay_rate' }));
    expect(findings.length).toBeGreaterThan(0);
    expect(dist.histogram).toEqual(findings[0]!.details.histogram);
    expect(dist.rows_ref).toBe(100_000);
    expect(dist.rows_cur).toBe(t.requests);
    const cat = DriftDistribution.parse(await q('drift_distribution', { feature: 'origin', baseline: 'train-v1' }));
    expect(cat.kind).toBe('categorical');
    expect('categories' in cat.histogram && cat.histogram.categories.length).toBeGreaterThan(3);
    const sum = (xs: number[] | undefined): number => (xs ?? []).reduce((a, b) => a + b, 0);
    expect(sum(cat.histogram.ref)).toBeCloseTo(1, 9);
    expect(sum(cat.histogram.cur)).toBeCloseTo(1, 9);
    expect(await refused('drift_distribution', { feature: 'nope', baseline: 'train-v1' })).toMatchObject({ code: 'unknown_feature' });
  });

  it('drift_timeline: one drift computation per window, equal to `drift` on that window', async () => {
    const tl = DriftTimeline.parse(await q('drift_timeline', { feature: 'dep_hour', baseline: 'train-v1', bucket: 'week', window: { since: '2001-04-02', until: '2001-07-02' } }));
    expect(tl.points).toHaveLength(13);
    expect(tl.points[0]!.start).toBe('2001-04-02T00:00:00.000Z');
    expect(tl.points.reduce((a, p) => a + p.rows, 0)).toBeLessThanOrEqual(t.requests);
    const p = tl.points[5]!;
    const drift = DriftQueryResult.parse(await q('drift', { baseline: 'train-v1', window: { since: p.start, until: p.end }, features: ['dep_hour'] }));
    expect(p.score).toBeCloseTo(drift.report.features[0]!.score!, 12);
    expect(p.method).toBe(drift.report.features[0]!.method);
    const bounded = DriftTimeline.parse(await q('drift_timeline', { feature: 'prediction', baseline: 'previous', bucket: 'day', max_windows: 5, window: { since: '2001-06-01', until: '2001-07-01' } }));
    expect(bounded.points).toHaveLength(5);
    expect(bounded.truncated).toBeGreaterThan(0);
    expect(bounded.feature).toBe('prediction');
    expect(await refused('drift_timeline', { feature: 'dep_hour', baseline: 'train-v1', max_windows: 1000 })).toMatchObject({ code: 'invalid_request' });
  });

  it('baselines and slices', async () => {
    const b = BaselinesResult.parse(await q('baselines'));
    expect(b.baselines.map((x) => x.name)).toEqual(['train-v1']);
    expect(b.baselines[0]).toMatchObject({ rows: 100_000 });
    expect(b.baselines[0]!.features.map((f) => f.name)).toEqual(expect.arrayContaining(CARD_V1.features.map((f) => f.name)));
    expect(b.relative).toEqual(['previous', 'week-ago']);
    const sl = SlicesResult.parse(await q('slices', { window: { model: 'flights-delay@v1' } }));
    expect(sl.report.loss).toBe('zero_one');
    expect(sl.report.n).toBe(t.labelled);
    expect(sl.saved).toBeNull();
  });

  it('runs and run: empty until a replay is stored, then the stored ReplayReport', async () => {
    expect(RunsResult.parse(await q('runs')).runs).toEqual([]);
    expect(await refused('run', { id: REPLAY_RUN_ID })).toMatchObject({ code: 'not_found' });
    // The daemon is the only writer: stop it, store the run as replay will, serve the same trace again.
    s.close();
    await t.daemon.stop();
    const written = await writeReplayRun(t.daemon.trace);
    t.daemon = await startDaemon([], { trace: t.daemon.trace, dir: t.daemon.dir }) as RunningDaemon;
    s = await StreamConnection.open(t.daemon.info);
    const runs = RunsResult.parse(await q('runs', { kind: 'replay' }));
    expect(runs.runs).toHaveLength(1);
    expect(runs.runs[0]).toMatchObject({ id: REPLAY_RUN_ID, kind: 'replay', passed: written.passed });
    const run = RunResult.parse(await q('run', { id: REPLAY_RUN_ID }));
    const report = ReplayReport.parse(run.run.results);
    expect(report.overall.n).toBe(t.labelled);
    expect(report.flips!.n).toBe(t.requests);
    expect(report.latency.map((l) => l.model)).toEqual(['flights-delay@v1', 'flights-delay@v2']);
    expect(RunsResult.parse(await q('runs', { kind: 'eval' })).runs).toEqual([]);
  });
});
