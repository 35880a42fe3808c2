import { describe, expect, test } from 'vitest';
import {
  allowedRange,
  DEFAULT_QUALITY_OPTIONS,
  judgeFeature,
  judgeQuality,
  judgeVolume,
  typeFamily,
  type FeatureObservation,
} from '../../../daemon/analysis/quality-rules.js';
import { ViolationSchema, type FeatureSchema } from '../../../daemon/analysis/quality-schema.js';

const amount: FeatureSchema = {
  name: 'amount',
  type: 'DOUBLE',
  kind: 'numeric',
  missing_rate: 0.1,
  cardinality: 900,
  min: 0,
  max: 100,
  categories: null,
};
const channel: FeatureSchema = {
  name: 'channel',
  type: 'VARCHAR',
  kind: 'categorical',
  missing_rate: 0,
  cardinality: 4,
  min: null,
  max: null,
  categories: ['app', 'phone', 'store', 'web'],
};

function observation(overrides: Partial<FeatureObservation> = {}): FeatureObservation {
  return {
    type: 'DOUBLE',
    rows: 1000,
    present: 900,
    cardinality: 850,
    outside: 0,
    min: 0,
    max: 100,
    unseen: null,
    unseenExamples: [],
    constantValue: null,
    ...overrides,
  };
}

describe('judgeFeature', () => {
  test('a healthy feature has no violations', () => {
    expect(judgeFeature(amount, observation())).toEqual([]);
  });

  test('out of range: info above 0, warning from 1 %, error from 5 %', () => {
    const severities = [1, 9, 45].map((outside) => judgeFeature(amount, observation({ outside }))[0]?.severity);
    expect(severities).toEqual(['info', 'warning', 'error']);
  });

  test('the range margin widens the bounds by a share of max − min', () => {
    expect(allowedRange(amount, 0.1)).toEqual({ min: -10, max: 110 });
    expect(allowedRange({ ...amount, min: null }, 0.1)).toBeNull();
  });

  test('a changed kind is an error and silences the other checks', () => {
    const violations = judgeFeature(amount, observation({ type: 'VARCHAR', present: 0, outside: 40 }));
    expect(violations).toEqual([
      { feature: 'amount', check: 'type_change', severity: 'error', observed: 'VARCHAR', expected: 'DOUBLE' },
    ]);
  });

  test('types are compared by family: integer, floating and DECIMAL are all numeric', () => {
    for (const [expected, observed] of [['INTEGER', 'DOUBLE'], ['BIGINT', 'DOUBLE'], ['DOUBLE', 'INTEGER'], ['DECIMAL(10,3)', 'FLOAT'], ['UTINYINT', 'HUGEINT']]) {
      const violations = judgeFeature({ ...amount, type: expected! }, observation({ type: observed! }));
      expect(violations, `${expected} → ${observed}`).toEqual([]);
    }
    // The other checks still run on a numeric family.
    const widened = judgeFeature({ ...amount, type: 'INTEGER' }, observation({ type: 'BIGINT', outside: 100 }));
    expect(widened.map((v) => `${v.check}:${v.severity}`)).toEqual(['out_of_range:error']);
  });

  test('the families: numeric, text, boolean, timestamp, time; other types only match themselves', () => {
    expect(['TINYINT', 'INTEGER', 'BIGINT', 'UBIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL(18,4)', 'decimal(4,1)'].map(typeFamily)).toEqual(Array(8).fill('numeric'));
    expect(['VARCHAR', "ENUM('a', 'b')"].map(typeFamily)).toEqual(['text', 'text']);
    expect(typeFamily('BOOLEAN')).toBe('boolean');
    expect(['DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_NS'].map(typeFamily)).toEqual(Array(4).fill('timestamp'));
    expect(typeFamily('TIME')).toBe('time');
    expect(typeFamily('STRUCT(a INTEGER)')).toBe('STRUCT(A INTEGER)');
  });

  test('a change of family within the kind is a warning; across kinds an error', () => {
    const flag: FeatureSchema = { ...channel, name: 'flag', type: 'BOOLEAN', cardinality: 2, categories: ['false', 'true'] };
    const asText = judgeFeature(flag, observation({ type: 'VARCHAR', present: 1000, min: null, max: null, outside: null, unseen: 0, cardinality: 2 }));
    expect(asText).toEqual([{ feature: 'flag', check: 'type_change', severity: 'warning', observed: 'VARCHAR', expected: 'BOOLEAN' }]);
    const asNumber = judgeFeature(channel, observation({ type: 'BIGINT' }));
    expect(asNumber).toEqual([{ feature: 'channel', check: 'type_change', severity: 'error', observed: 'BIGINT', expected: 'VARCHAR' }]);
  });

  test('typeCheck "kind" (a trace: DOUBLE or VARCHAR by kind) only sees a change of kind', () => {
    const byKind = { ...DEFAULT_QUALITY_OPTIONS, typeCheck: 'kind' as const };
    const flag: FeatureSchema = { ...channel, name: 'flag', type: 'BOOLEAN', cardinality: 2, categories: ['false', 'true'] };
    expect(judgeFeature(flag, observation({ type: 'VARCHAR', present: 1000, min: null, max: null, outside: null, unseen: 0, cardinality: 2 }), byKind)).toEqual([]);
    expect(judgeFeature({ ...amount, type: 'BIGINT' }, observation({ type: 'DOUBLE' }), byKind)).toEqual([]);
    expect(judgeFeature(amount, observation({ type: 'VARCHAR' }), byKind).map((v) => `${v.check}:${v.severity}`)).toEqual(['type_change:error']);
  });

  test('missing column', () => {
    expect(judgeFeature(amount, observation({ type: null }))).toEqual([
      { feature: 'amount', check: 'missing_column', severity: 'error', observed: null, expected: 'DOUBLE' },
    ]);
  });

  test('missing-rate jump: +0.05 warning, +0.20 error, a drop is fine', () => {
    const check = (present: number) =>
      judgeFeature(amount, observation({ present })).find((v) => v.check === 'missing_rate_jump')?.severity;
    expect(check(860)).toBeUndefined(); // 0.14: +0.04
    expect(check(850)).toBe('warning'); // 0.15: +0.05
    expect(check(700)).toBe('error'); // 0.30: +0.20
    expect(check(1000)).toBeUndefined();
  });

  test('unseen categories: share of values in unlisted categories', () => {
    const violations = judgeFeature(
      channel,
      observation({ type: 'VARCHAR', present: 1000, cardinality: 5, unseen: 20, unseenExamples: ['kiosk'], outside: null }),
    );
    expect(violations).toEqual([
      {
        feature: 'channel',
        check: 'unseen_categories',
        severity: 'warning',
        observed: { share: 0.02, examples: ['kiosk'] },
        expected: ['app', 'phone', 'store', 'web'],
      },
    ]);
  });

  test('cardinality jump: up by ×2 always; down by ×2 only with enough values to tell', () => {
    const jump = (cardinality: number, present: number) =>
      judgeFeature(channel, observation({ type: 'VARCHAR', present, rows: present, cardinality, outside: null })).some(
        (v) => v.check === 'cardinality_jump',
      );
    expect(jump(8, 1000)).toBe(true);
    expect(jump(7, 1000)).toBe(false);
    expect(jump(2, 1000)).toBe(true);
    expect(jump(2, 7)).toBe(false); // 7 values cannot show 4 categories reliably
    expect(jump(3, 1000)).toBe(false);
  });

  test('constant column replaces the cardinality drop it implies', () => {
    const violations = judgeFeature(
      channel,
      observation({ type: 'VARCHAR', present: 1000, rows: 1000, cardinality: 1, constantValue: 'web', outside: null }),
    );
    expect(violations).toEqual([
      { feature: 'channel', check: 'constant_column', severity: 'warning', observed: 'web', expected: 4 },
    ]);
    // One value is no evidence of a constant column.
    expect(judgeFeature(channel, observation({ type: 'VARCHAR', present: 1, rows: 1, cardinality: 1, constantValue: 'web', outside: null }))).toEqual([]);
  });

  test('every violation fits the schema', () => {
    const all = [
      ...judgeFeature(amount, observation({ outside: 100, present: 500 })),
      ...judgeFeature(amount, observation({ type: null })),
      ...judgeVolume(10, { ...DEFAULT_QUALITY_OPTIONS, expectedRows: 1000 }),
    ];
    for (const violation of all) ViolationSchema.parse(violation);
    expect(all.length).toBe(4);
  });
});

describe('judgeVolume and ordering', () => {
  test('volume drop: none without an expected count; 50 % warning; 90 % error', () => {
    const options = { ...DEFAULT_QUALITY_OPTIONS, expectedRows: 1000 };
    expect(judgeVolume(10, DEFAULT_QUALITY_OPTIONS)).toEqual([]);
    expect(judgeVolume(600, options)).toEqual([]);
    expect(judgeVolume(500, options)[0]?.severity).toBe('warning');
    expect(judgeVolume(100, options)[0]?.severity).toBe('error');
    expect(judgeVolume(2000, options)).toEqual([]);
  });

  test('errors first, then warnings, then infos, each in schema order', () => {
    const schema = { row_count: 1000, category_limit: 50, features: [amount, channel] };
    const observations = new Map<string, FeatureObservation>([
      ['amount', observation({ outside: 1 })],
      ['channel', observation({ type: null })],
    ]);
    const violations = judgeQuality(schema, 400, observations, { ...DEFAULT_QUALITY_OPTIONS, expectedRows: 1000 });
    expect(violations.map((v) => `${v.feature}:${v.check}:${v.severity}`)).toEqual([
      'channel:missing_column:error',
      'null:volume_drop:warning',
      'amount:out_of_range:info',
    ]);
  });
});
