import { describe, expect, it } from 'vitest';
import { diffFacts, formatDiff, runFacts, type TraceFacts } from '../../../daemon/sharing/diff';

const base = (over: Partial<TraceFacts>): TraceFacts => ({ path: 'a', schemaVersion: 1, models: [], predictions: [], findings: [], runs: [], ...over });
const f = (kind: string, feature: string, score: number | null, metric = 'psi') => ({ kind, model_name: 'm', feature, metric, baseline: 'train', score });

describe('diff of two traces', () => {
  it('models: by content hash, with same name@version but another hash reported as changed', () => {
    const a = base({ models: [{ id: 'h1', name: 'm', version: 'v1' }, { id: 'h2', name: 'm', version: 'v2' }, { id: 'h9', name: 'old', version: 'v1' }] });
    const b = base({ models: [{ id: 'h1', name: 'm', version: 'v1' }, { id: 'h3', name: 'm', version: 'v2' }, { id: 'h4', name: 'new', version: 'v1' }] });
    const d = diffFacts(a, b);
    expect(d.models.unchanged.map((m) => m.id)).toEqual(['h1']);
    expect(d.models.changed).toEqual([{ name: 'm', version: 'v2', id_a: 'h2', id_b: 'h3' }]);
    expect(d.models.added.map((m) => m.id)).toEqual(['h4']);
    expect(d.models.removed.map((m) => m.id)).toEqual(['h9']);
  });

  it('prediction counts per model and source, including ones only one side has', () => {
    const d = diffFacts(base({ predictions: [{ model: 'm@v1', source: 'served', n: 10 }] }), base({ predictions: [{ model: 'm@v1', source: 'served', n: 4 }, { model: 'm@v2', source: 'shadow', n: 3 }] }));
    expect(d.predictions).toEqual([{ model: 'm@v1', source: 'served', a: 10, b: 4, delta: -6 }, { model: 'm@v2', source: 'shadow', a: 0, b: 3, delta: 3 }]);
    expect(d.a.predictions).toBe(10);
    expect(d.b.predictions).toBe(7);
  });

  it('findings: added, removed, changed with score deltas; duplicates pair up in score order', () => {
    const a = base({ findings: [f('drift', 'x', 0.5), f('drift', 'y', 0.3), f('quality', 'z', null, 'unseen'), f('quality', 'z', null, 'unseen')] });
    const b = base({ findings: [f('drift', 'x', 0.2), f('slice', 'w', 0.9, 'error_rate'), f('quality', 'z', null, 'unseen')] });
    const d = diffFacts(a, b);
    expect(d.findings.changed).toEqual([{ kind: 'drift', model_name: 'm', feature: 'x', metric: 'psi', baseline: 'train', score_a: 0.5, score_b: 0.2, delta: 0.2 - 0.5 }]);
    expect(d.findings.removed.map((x) => `${x.kind}:${x.feature}`)).toEqual(['drift:y', 'quality:z']);
    expect(d.findings.added.map((x) => `${x.kind}:${x.feature}`)).toEqual(['slice:w']);
    expect(d.findings.unchanged).toBe(1);
    expect(formatDiff(d)).toContain('~ drift x psi [m] vs train score 0.500 → 0.200 (-0.300)');
  });

  it('runs: matched by id, else by kind and models; metrics compared', () => {
    const r = (id: string, auc: number, cand = 'v2') => runFacts({ id, kind: 'replay', started: null, results: JSON.stringify({ passed: auc > 0.6, baseline: { name: 'm', version: 'v1' }, candidate: { name: 'm', version: cand }, overall: { candidate: { metrics: { roc_auc: auc, n: 'x' } } } }) });
    const d = diffFacts(base({ runs: [r('same', 0.7), r('ra', 0.65), r('only-a', 0.5, 'v3')] }), base({ runs: [r('rb', 0.55), r('same', 0.72), r('only-b', 0.5, 'v4')] }));
    expect(d.runs.compared.map((c) => [c.id_a, c.id_b])).toEqual([['same', 'same'], ['ra', 'rb']]);
    expect(d.runs.compared[1]!.metrics).toEqual([{ metric: 'roc_auc', a: 0.65, b: 0.55, delta: 0.55 - 0.65 }]);
    expect(d.runs.compared[1]).toMatchObject({ label: 'm@v1 → m@v2', passed_a: true, passed_b: false });
    expect(d.runs.only_a).toEqual([{ id: 'only-a', kind: 'replay', label: 'm@v1 → m@v3' }]);
    expect(d.runs.only_b).toEqual([{ id: 'only-b', kind: 'replay', label: 'm@v1 → m@v4' }]);
    expect(runFacts({ id: 'broken', kind: 'eval', started: null, results: '{not json' })).toMatchObject({ label: 'broken', metrics: {}, passed: null });
  });
});
