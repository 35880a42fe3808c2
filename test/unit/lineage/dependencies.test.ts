/** Dependency inference: by content hash first, by name only as a reported fallback; the trace graph built on it. */
import { describe, expect, test } from 'vitest';
import { chooseProducer, resolveProducer } from '../../../daemon/lineage/dependencies';
import { buildTrace } from '../../../daemon/lineage/graph';
import { Builder, T0, sha } from './builder';

const MIN = 60_000;

describe('resolveProducer', () => {
  test('a run depends on the run that wrote the same content, whatever the file is called', () => {
    const b = new Builder();
    const out = b.artifact('clean.csv', 'rows v1', T0 + MIN);
    const clean = b.run('clean-1', 'clean', T0, T0 + MIN, [], [out]);
    const copy = b.artifact('copied/clean.csv', 'rows v1', T0 + 2 * MIN);
    b.run('feat-1', 'features', T0 + 2 * MIN, T0 + 3 * MIN, [copy], []);
    const r = resolveProducer({ runId: 'feat-1', start: T0 + 2 * MIN }, copy, b.index());
    expect(r.producer?.run.id).toBe(clean.id);
    expect(r.match).toBe('hash');
    expect(r.warnings).toEqual([]);
  });

  test('without a content hash, the name is a fallback and says so', () => {
    const b = new Builder();
    b.run('clean-1', 'clean', T0, T0 + MIN, [], [b.artifact('clean.csv', 'rows v1', T0 + MIN)]);
    const noHash = b.artifact('clean.csv', null, T0 + 2 * MIN);
    const r = resolveProducer({ runId: 'feat-1', start: T0 + 2 * MIN }, noHash, b.index());
    expect(r.producer?.run.id).toBe('clean-1');
    expect(r.match).toBe('name');
    expect(r.warnings).toEqual([expect.stringContaining('linked to clean#clean-1 by name only')]);
  });

  test('same name but other content is not a dependency: warned, not linked', () => {
    const b = new Builder();
    b.run('clean-1', 'clean', T0, T0 + MIN, [], [b.artifact('clean.csv', 'rows v1', T0 + MIN)]);
    const edited = b.artifact('clean.csv', 'rows v1, edited by hand', T0 + 2 * MIN);
    const r = resolveProducer({ runId: 'feat-1', start: T0 + 2 * MIN }, edited, b.index());
    expect(r.producer).toBeNull();
    expect(r.warnings).toEqual([expect.stringContaining('matches no logged output by content')]);
  });

  test('raw data: no producer, no warning', () => {
    const b = new Builder();
    const raw = b.artifact('flights-3m.parquet', 'raw bytes', T0);
    expect(resolveProducer({ runId: 'clean-1', start: T0 }, raw, b.index())).toEqual({ producer: null, warnings: [] });
  });

  test('of several writers of the same bytes: the latest finished before the reader started', () => {
    const b = new Builder();
    const a1 = b.artifact('f.csv', 'same', T0 + 1 * MIN);
    b.run('w1', 'features', T0, T0 + 1 * MIN, [], [a1]);
    b.run('w2', 'features', T0 + 4 * MIN, T0 + 5 * MIN, [], [a1]);
    const idx = b.index();
    const cands = idx.producersOfHash(sha('same'));
    expect(chooseProducer({ runId: 'r', start: T0 + 3 * MIN }, cands)).toMatchObject({ chosen: { run: { id: 'w1' } }, afterReader: false });
    expect(chooseProducer({ runId: 'r', start: T0 + 9 * MIN }, cands)).toMatchObject({ chosen: { run: { id: 'w2' } }, afterReader: false });
    // Read before anyone logged writing it: the first writer, flagged as such.
    expect(chooseProducer({ runId: 'r', start: T0 - MIN }, cands)).toMatchObject({ chosen: { run: { id: 'w1' } }, afterReader: true });
    const r = resolveProducer({ runId: 'r', start: T0 - MIN }, a1, idx);
    expect(r.warnings).toEqual([expect.stringContaining('was read before any logged run wrote it')]);
  });

  test('a run that rewrites a file it read does not depend on itself', () => {
    const b = new Builder();
    const a = b.artifact('state.json', 'same', T0);
    b.run('self', 'update', T0, T0 + MIN, [a], [a]);
    expect(resolveProducer({ runId: 'self', start: T0 }, a, b.index()).producer).toBeNull();
  });
});

describe('buildTrace', () => {
  /** raw → clean → features → train → model; a second pipeline run on new raw data. */
  function pipeline(): Builder {
    const b = new Builder();
    const raw1 = b.artifact('raw.parquet', 'raw jan', T0);
    const clean1 = b.artifact('clean.csv', 'clean jan', T0 + 1 * MIN);
    const feat1 = b.artifact('features.csv', 'features jan', T0 + 2 * MIN, 'features');
    const model1 = b.artifact('model.onnx', 'model v1', T0 + 3 * MIN, 'model');
    b.run('clean-1', 'clean', T0, T0 + 1 * MIN, [raw1], [clean1], { git_commit: 'abc1234', params: { drop_na: true } });
    b.run('feat-1', 'features', T0 + 1 * MIN, T0 + 2 * MIN, [clean1], [feat1]);
    b.run('train-1', 'train', T0 + 2 * MIN, T0 + 3 * MIN, [feat1], [model1], { params: { C: 1 } });
    const raw2 = b.artifact('raw.parquet', 'raw feb', T0 + 10 * MIN);
    const clean2 = b.artifact('clean.csv', 'clean feb', T0 + 11 * MIN);
    const feat2 = b.artifact('features.csv', 'features feb', T0 + 12 * MIN, 'features');
    const model2 = b.artifact('model.onnx', 'model v2', T0 + 13 * MIN, 'model');
    b.run('clean-2', 'clean', T0 + 10 * MIN, T0 + 11 * MIN, [raw2], [clean2]);
    b.run('feat-2', 'features', T0 + 11 * MIN, T0 + 12 * MIN, [clean2], [feat2]);
    b.run('train-2', 'train', T0 + 12 * MIN, T0 + 13 * MIN, [feat2], [model2]);
    b.model('model v1', 'delay', 'v1');
    b.model('model v2', 'delay', 'v2');
    return b;
  }

  test('prediction → model → its file → training run → upstream runs → raw data', () => {
    const b = pipeline();
    const idx = b.index();
    const trace = buildTrace({ type: 'prediction', prediction: { id: 'p1', time: T0 + DAYS(1), model_id: sha('model v1'), model: 'delay', version: 'v1', score: 0.7, label: '1', source: 'served', flags: [] } }, idx, 30);
    expect(trace.root).toBe('prediction:p1');
    expect(trace.nodes.map((n) => n.key)).toEqual([
      'prediction:p1', `model:${sha('model v1')}`, `artifact:a:model.onnx:${sha('model v1')}`, 'run:train-1',
      `artifact:a:features.csv:${sha('features jan')}`, 'run:feat-1', `artifact:a:clean.csv:${sha('clean jan')}`, 'run:clean-1',
      `artifact:a:raw.parquet:${sha('raw jan')}`,
    ]);
    expect(trace.edges).toContainEqual({ from: 'prediction:p1', to: `model:${sha('model v1')}`, relation: 'made_by' });
    expect(trace.edges).toContainEqual({ from: `artifact:a:features.csv:${sha('features jan')}`, to: 'run:feat-1', relation: 'produced_by', match: 'hash' });
    expect(trace.warnings).toEqual([]);
    const model = trace.nodes.find((n) => n.type === 'model');
    expect(model).toMatchObject({ training_run_id: 'train-1', name: 'delay', version: 'v1' });
    // Two runs of the same component on different data are different nodes: v2's runs are not in v1's trace.
    expect(trace.nodes.some((n) => n.key === 'run:feat-2' || n.key === 'run:clean-2')).toBe(false);
  });

  test("the second model's trace holds the second pipeline run only", () => {
    const idx = pipeline().index();
    const trace = buildTrace({ type: 'model', model: idx.models.get(sha('model v2'))! }, idx);
    const runs = trace.nodes.filter((n) => n.type === 'run').map((n) => n.id);
    expect(runs).toEqual(['train-2', 'feat-2', 'clean-2']);
    // The first pipeline's inputs now have newer versions: its runs are stale, the second's are not.
    expect(trace.stale_runs).toEqual([]);
    const first = buildTrace({ type: 'run', run: idx.runs.get('train-1')! }, idx);
    expect(first.stale_runs).toEqual(['train-1', 'feat-1', 'clean-1']);
  });

  test('a model no logged run wrote is a leaf; a shared upstream node appears once', () => {
    const b = new Builder();
    const raw = b.artifact('raw', 'r', T0);
    const f = b.artifact('f', 'f', T0 + MIN);
    b.run('prep', 'prep', T0, T0 + MIN, [raw], [f]);
    const m1 = b.artifact('m1', 'm1', T0 + 2 * MIN);
    const m2 = b.artifact('m2', 'm2', T0 + 2 * MIN);
    b.run('ens', 'ensemble', T0 + MIN, T0 + 2 * MIN, [f, f], [m1, m2]);
    b.model('unknown bytes', 'other', 'v1');
    const idx = b.index();
    const orphan = buildTrace({ type: 'model', model: idx.models.get(sha('unknown bytes'))! }, idx);
    expect(orphan.nodes).toHaveLength(1);
    const t = buildTrace({ type: 'artifact', artifact: m1 }, idx);
    expect(t.nodes.filter((n) => n.key === 'run:prep')).toHaveLength(1);
  });
});

function DAYS(n: number): number {
  return n * 86_400_000;
}
