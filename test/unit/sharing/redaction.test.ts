import { describe, expect, it } from 'vitest';
import type { FeatureColumn } from '../../../daemon/store/trace-store';
import { parseRedactions, planRedactions, redactedNames } from '../../../daemon/sharing/redaction';
import { collectStrings, mentionsInExamples, REDACTED, scrubFindings, scrubProfile } from '../../../daemon/sharing/scrub';

const cols: FeatureColumn[] = [
  { feature: 'origin', kind: 'categorical', column: 'f_1', sqlType: 'VARCHAR' },
  { feature: 'age', kind: 'numeric', column: 'f_2', sqlType: 'DOUBLE' },
  { feature: 'customer_email', kind: 'attribute', column: 'a_3', sqlType: 'VARCHAR' },
];

describe('--redact', () => {
  it('parses col=drop|hash, repeatable; refuses anything else', () => {
    expect(parseRedactions(['email=hash', 'ip=drop', 'a=b=drop', 'email=hash'])).toEqual([
      { column: 'email', action: 'hash' }, { column: 'ip', action: 'drop' }, { column: 'a=b', action: 'drop' },
    ]);
    expect(() => parseRedactions(['email'])).toThrow(/COLUMN=drop or COLUMN=hash/);
    expect(() => parseRedactions(['email=sha256'])).toThrow(/COLUMN=drop or COLUMN=hash/);
    expect(() => parseRedactions(['email=hash', 'email=drop'])).toThrow(/given twice/);
  });

  it('resolves names to feature/attribute columns, join keys (with labels and raw aliases), raw keys and baseline columns', () => {
    const plan = planRedactions(parseRedactions(['customer_email=hash', 'join_key=drop', 'origin=hash', 'note=drop']), {
      featureColumns: cols, rawKeys: ['origin', 'flight_id', 'note'], hasRaw: true, joinKeyAliases: ['flight_id'],
      baselines: [{ name: 'train', table: 'baseline__train', columns: [{ name: 'origin', type: 'VARCHAR' }, { name: 'flight_id', type: 'VARCHAR' }] }],
    });
    expect(plan.needsKey).toBe(true);
    expect([...plan.features]).toEqual([['a_3', 'hash'], ['f_1', 'hash']]);
    expect([...plan.fixed]).toEqual([['join_key', 'drop']]);
    expect([...plan.raw]).toEqual([['customer_email', 'hash'], ['flight_id', 'drop'], ['origin', 'hash'], ['note', 'drop']]);
    expect([...plan.baseline]).toEqual([['origin', 'hash']]);
    expect(plan.applied.find((a) => a.column === 'join_key')!.targets).toEqual([
      'predictions.join_key', 'labels.join_key (labels re-linked by prediction id)', 'predictions.raw.flight_id (holds the join key)',
    ]);
    expect(plan.applied.find((a) => a.column === 'origin')!.targets).toEqual(['predictions.f_1 (categorical feature origin)', 'predictions.raw.origin', 'baseline__train.origin']);
    expect([...redactedNames(plan)].sort()).toEqual(['customer_email', 'flight_id', 'join_key', 'note', 'origin']);
  });

  it('refuses structural columns and unknown names, listing what is known', () => {
    const ctx = { featureColumns: cols, rawKeys: [], hasRaw: false, baselines: [] };
    expect(() => planRedactions([{ column: 'time', action: 'drop' }], ctx)).toThrow(/needs this column/);
    expect(() => planRedactions([{ column: 'score', action: 'hash' }], ctx)).toThrow(/needs this column/);
    expect(() => planRedactions([{ column: 'nope', action: 'drop' }], ctx)).toThrow(/known: join_key, request_id, origin, age, customer_email/);
    expect(planRedactions([{ column: 'age', action: 'drop' }], ctx).needsKey).toBe(false);
  });
});

describe('redaction inside JSON documents (findings, profiles)', () => {
  const replace = new Map([['ORD', 'h(ORD)'], ['F1477920', 'h(F1477920)'], ['10.0.0.1', REDACTED]]);

  it('leaves out findings about dropped columns and swaps redacted values anywhere else', () => {
    const findings = [
      { id: '1', feature: 'client_ip', details: { histogram: { categories: ['10.0.0.1'] } } },
      { id: '2', feature: 'origin', details: { histogram: { categories: ['ORD', 'ATL'] }, ref: [0.5, 0.5] } },
      { id: '3', feature: 'route_delay_rate', details: { examples: [{ key: 'F1477920', training: 0.2, serving: 0.1 }], note: '10.0.0.1' } },
    ];
    const { kept, removed } = scrubFindings(findings, new Set(['client_ip']), replace);
    expect(removed).toBe(1);
    expect(kept.map((f) => f.id)).toEqual(['2', '3']);
    expect(kept[0]!.details).toEqual({ histogram: { categories: ['h(ORD)', 'ATL'] }, ref: [0.5, 0.5] });
    expect(kept[1]!.details).toEqual({ examples: [{ key: 'h(F1477920)', training: 0.2, serving: 0.1 }], note: REDACTED });
    expect(findings[1]!.details.histogram!.categories[0]).toBe('ORD'); // input untouched
  });

  it('drops dropped columns from baseline profiles', () => {
    const profile = { row_count: 3, features: [{ name: 'origin', categories: ['ORD'] }, { name: 'client_ip', categories: ['10.0.0.1'] }] };
    expect(scrubProfile(profile, new Set(['client_ip']), replace)).toEqual({ row_count: 3, features: [{ name: 'origin', categories: ['h(ORD)'] }] });
  });

  it('collects string leaves and finds keys mentioned in examples', () => {
    expect([...collectStrings({ a: ['x', { b: 'y', c: 1 }], key: 'z' })].sort()).toEqual(['x', 'y', 'z']);
    const details = { mode: 'replay', examples: [{ key: 'F1', training: 1, serving: 2 }] };
    expect(mentionsInExamples(details, new Set(['F1']))).toBe(true);
    expect(mentionsInExamples(details, new Set(['F2']))).toBe(false);
    expect(mentionsInExamples({ nested: { examples: ['F2'] } }, new Set(['F2']))).toBe(true);
    expect(mentionsInExamples({ observed: { values: ['F2'] } }, new Set(['F2']))).toBe(false); // not an example
  });
});
