/** Review ranking: effect size and significance of a node's presence in flagged vs unflagged traces. */
import { describe, expect, test } from 'vitest';
import { rankReview, type ModelCounts } from '../../../daemon/lineage/review';
import { differenceInProportions, fisherExact } from '../../../daemon/lineage/statistics';
import { Builder, T0, sha } from './builder';

const MIN = 60_000;

/** raw → clean → features → {train-good → model A, train-bad → model B}; model C has no lineage. */
function scenario(): Builder {
  const b = new Builder();
  const raw = b.artifact('raw.parquet', 'raw', T0);
  const clean = b.artifact('clean.csv', 'clean', T0 + MIN);
  const feats = b.artifact('features.csv', 'features', T0 + 2 * MIN);
  b.run('clean-1', 'clean', T0, T0 + MIN, [raw], [clean]);
  b.run('feat-1', 'features', T0 + MIN, T0 + 2 * MIN, [clean], [feats]);
  b.run('train-good', 'train', T0 + 2 * MIN, T0 + 3 * MIN, [feats], [b.artifact('a.onnx', 'model A', T0 + 3 * MIN, 'model')], { params: { lr: 0.1 } });
  b.run('train-bad', 'train', T0 + 2 * MIN, T0 + 3 * MIN, [feats], [b.artifact('b.onnx', 'model B', T0 + 3 * MIN, 'model')], { params: { lr: 10 } });
  b.model('model A', 'delay', 'a');
  b.model('model B', 'delay', 'b');
  return b;
}

const counts = (a: [number, number], bb: [number, number]): ModelCounts[] => [
  { model_id: sha('model A'), model_name: 'delay', model_version: 'a', total: a[0], flagged: a[1] },
  { model_id: sha('model B'), model_name: 'delay', model_version: 'b', total: bb[0], flagged: bb[1] },
];

describe('rankReview', () => {
  test('the planted culprit run ranks first; shared upstream runs are not significant', () => {
    // Model A: 900 predictions, 10 flagged. Model B (bad run): 100 predictions, 40 flagged.
    const r = rankReview(counts([900, 10], [100, 40]), scenario().index(), { alpha: 0.05, limit: 50 });
    expect(r).toMatchObject({ flagged: 50, unflagged: 950, models: 2 });
    const top = r.entries[0]!;
    expect(top).toMatchObject({ rank: 1, kind: 'run', id: 'train-bad', label: 'train#train-ba', flagged_with: 40, unflagged_with: 60, significant: true });
    expect(top.difference).toBeCloseTo(differenceInProportions(40, 10, 60, 890), 15);
    expect(top.p_value).toBe(fisherExact(40, 10, 60, 890));
    // The bad run's model file and the model itself are in exactly the same traces: reported, ranked after the run.
    expect(top.same_traces_as.sort()).toEqual([`b.onnx (sha256 ${sha('model B').slice(0, 12)})`, `delay@b (${sha('model B').slice(0, 12)})`].sort());
    expect(r.entries.slice(1, 3).map((e) => e.kind)).toEqual(['artifact', 'model']);
    // In every trace: no association, p = 1.
    for (const id of ['feat-1', 'clean-1']) {
      const e = r.entries.find((x) => x.id === id)!;
      expect(e).toMatchObject({ difference: 0, p_value: 1, significant: false });
    }
    // The good run is negatively associated: significant p, but last.
    const good = r.entries.find((e) => e.id === 'train-good')!;
    expect(good.difference).toBeLessThan(0);
    expect(good.significant).toBe(false);
    expect(r.entries.indexOf(good)).toBeGreaterThan(r.entries.findIndex((e) => e.id === 'feat-1'));
  });

  test('ranks by effect, not raw counts: the busy model has more flags but a lower flag rate', () => {
    // Model A: 100 flagged of 5000 (2 %); model B: 30 flagged of 100 (30 %).
    const r = rankReview(counts([5000, 100], [100, 30]), scenario().index(), { alpha: 0.05, limit: 50 });
    expect(r.entries[0]!.id).toBe('train-bad');
    expect(r.entries.find((e) => e.id === 'train-good')!.flagged_with).toBeGreaterThan(r.entries[0]!.flagged_with);
  });

  test('nothing flagged: nothing significant; limit applies', () => {
    const r = rankReview(counts([10, 0], [10, 0]), scenario().index(), { alpha: 0.05, limit: 3 });
    expect(r.flagged).toBe(0);
    expect(r.entries).toHaveLength(3);
    expect(r.entries.every((e) => !e.significant && e.p_value === 1)).toBe(true);
  });

  test('a model without lineage is still a candidate', () => {
    const b = scenario();
    const extra: ModelCounts = { model_id: 'external:x@1', model_name: 'x', model_version: '1', total: 20, flagged: 15 };
    const r = rankReview([...counts([900, 10], [100, 5]), extra], b.index(), { alpha: 0.05, limit: 50 });
    expect(r.entries[0]).toMatchObject({ kind: 'model', id: 'external:x@1', label: 'x@1' });
  });
});
