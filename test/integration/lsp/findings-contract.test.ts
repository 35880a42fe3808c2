import { describe, expect, it } from 'vitest';
import { Finding } from '../../../protocol';
import { driftDetails, skewDetails, sliceFeatures } from '../../../daemon/lsp/finding-details';
import { toFinding, toFindings } from '../../../daemon/lsp/finding-rows';
import { diagnosticMessage, lensTitle } from '../../../daemon/lsp/format';
import { barsFromDetails, histogramSvg } from '../../../daemon/lsp/histogram-svg';
import { byFeature, severityOf } from '../../../daemon/lsp/judge';

/** Pure logic of the language server that reads findings defensively (no process, no file). */
const row = (over: Record<string, unknown>): Record<string, unknown> => ({
  id: 'f1', time: '2001-07-01 09:00:00+00', kind: 'drift', feature: 'dep_hour', model_name: 'm', score: 0.31, threshold: 0.2,
  metric: 'psi', baseline: 'train-v1', window_desc: 'April', details: '{}', ...over,
});

describe('findings contract: reading rows defensively', () => {
  it('coerces DuckDB shapes (JSON text, numeric strings, space-separated timestamps)', () => {
    const f = toFinding(row({ score: '0.31', details: '{"missing_ref": 0.1}' }))!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f).toMatchObject({ score: 0.31, time: '2001-07-01T09:00:00.000Z', details: { missing_ref: 0.1 } });
  });

  it('drops rows without an id or with an unknown kind, keeps the rest', () => {
    expect(toFindings([row({ id: null }), row({ kind: 'vibes' }), row({ id: 'ok', details: 'not json' })]).map((f) => f.id)).toEqual(['ok']);
    expect(toFindings({ findings: [row({})] })).toHaveLength(1);
    expect(toFindings('garbage')).toEqual([]);
  });

  it('reads details field by field: one bad field does not cost the others', () => {
    const f = toFinding(row({ kind: 'skew', details: { mismatch_rate: 0.12, examples: 'not a list' } }))!;
    expect(skewDetails(f)).toEqual({ mismatch_rate: 0.12 });
    const d = driftDetails(toFinding(row({ details: { histogram: { edges: [1, 2] }, ref: [0.5, 0.5], cur: [0.2, 0.3, 0.5], missing_cur: 0.01 } }))!);
    expect(d).toEqual({ missing_cur: 0.01 }); // 2 edges need 3 bins: the histogram is dropped
    const s = toFinding(row({ kind: 'slice', feature: null, details: { predicates: [{ feature: 'origin', op: '=', value: 'ORD' }, { bad: 1 }] } }))!;
    expect(sliceFeatures(s)).toEqual(['origin']);
  });

  it('judges severity by score relative to threshold; null score is +∞', () => {
    const sev = (over: Record<string, unknown>): string | null => severityOf(toFinding(row(over))!);
    expect(sev({ score: 0.41, threshold: 0.2 })).toBe('error');
    expect(sev({ score: 0.2, threshold: 0.2 })).toBe('warning');
    expect(sev({ score: 0.02, threshold: 0.2 })).toBeNull();
    expect(sev({ score: null })).toBe('error');
    expect(sev({ threshold: null })).toBe('warning');
    expect(sev({ kind: 'slice', score: 9 })).toBe('information');
    expect(sev({ kind: 'quality', score: 1, threshold: 0.5, details: { severity: 'warning' } })).toBe('warning');
    expect(diagnosticMessage('dep_hour', toFinding(row({ score: null }))!)).toContain('PSI ∞ ≥ 0.2 (∞× threshold)');
  });

  it('keeps only the newest finding per feature, kind, model and metric', () => {
    const old = toFinding(row({ id: 'a', time: '2001-06-01T00:00:00Z', score: 0.9 }))!;
    const cur = toFinding(row({ id: 'b', time: '2001-07-01T00:00:00Z', score: 0.25 }))!;
    const other = toFinding(row({ id: 'c', model_name: 'someone-else' }))!;
    const g = byFeature([old, cur, other], new Set(['m']));
    expect(g.get('dep_hour')!.drift.map((f) => f.id)).toEqual(['b']);
    expect(lensTitle(cur)).toBe('drift PSI 0.25');
  });

  it('renders a histogram SVG with escaped category names', () => {
    const bars = barsFromDetails({ histogram: { categories: ['<script>', 'B&B'] }, ref: [0.5, 0.5], cur: [0.9, 0.1] })!;
    const svg = histogramSvg(bars);
    expect(svg).toContain('&lt;scri');
    expect(svg).toContain('B&amp;B');
    expect(svg).not.toContain('<script>');
    expect(svg.match(/<rect /g)).toHaveLength(2 + 4);
  });
});

describe('findings contract: drift histogram layouts', () => {
  it('reads bin shares beside the histogram or inside it (the analysis engine writes them inside)', () => {
    const beside = driftDetails(toFinding(row({ details: { histogram: { categories: ['A', 'B'] }, ref: [0.5, 0.5], cur: [0.9, 0.1] } }))!);
    const inside = driftDetails(toFinding(row({ details: { histogram: { categories: ['A', 'B'], ref: [0.5, 0.5], cur: [0.9, 0.1] } } }))!);
    expect(barsFromDetails(inside)).toEqual(barsFromDetails(beside));
    expect(barsFromDetails(inside)).toEqual({ labels: ['A', 'B'], ref: [0.5, 0.5], cur: [0.9, 0.1] });
  });
});
