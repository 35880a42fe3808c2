/**
 * Failing-slice statistics against scipy/numpy (test/fixtures/stats/slices-cases.json, generated
 * by test/fixtures/gen/slices_reference.py): Welch's t-test, Benjamini–Hochberg, and every
 * candidate of synthetic tables — sums from one DuckDB GROUPING SETS query — to 1e-9 relative,
 * its 95 % interval included (Wilson for the error rate, normal for mean losses); a planted slice
 * comes first, and random data yields no slice after BH. The no-label `low_confidence` loss is
 * checked row by row and in the report (metric, interval, effect size, adjusted p).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import {
  analyseSlices,
  benjaminiHochberg,
  combinations,
  findSlices,
  lossSql,
  pooledEffectSize,
  welchTest,
  type GroupSummary,
} from '../../../daemon/analysis/slices/index.js';
import { createTable, memoryDuckDB, rowsOf, type ColumnType } from '../../helpers/duckdb';
import { SliceReport, type SliceCondition, type SliceLoss } from '../../../protocol';

interface Candidate {
  predicates: SliceCondition[];
  n: number;
  metric: number;
  metric_rest: number;
  t: number;
  df: number;
  p_value: number;
  p_adjusted: number;
  effect_size: number;
  /** 95 % interval of the slice's mean loss (Wilson for zero_one, normal otherwise). */
  ci: [number, number];
}
interface Table {
  name: string;
  loss: SliceLoss;
  /** Decision threshold (default 0.5). */
  threshold?: number;
  /** Per-row loss (low_confidence only). */
  row_loss?: number[];
  columns: Record<string, Array<string | number | null>>;
  kinds: Record<string, 'numeric' | 'categorical'>;
  score: number[];
  label: number[];
  n: number;
  metric_overall: number;
  min_rows: number;
  edges: Record<string, number[]>;
  candidates: Candidate[];
  significant: SliceCondition[][];
}
interface Fixture {
  welch: Array<{ name: string; a: GroupSummary; b: GroupSummary; t: number; df: number; p_value: number }>;
  bh: Array<{ p: number[]; adjusted: number[]; rejected_05: boolean[] }>;
  tables: Table[];
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/stats/slices-cases.json', import.meta.url), 'utf8')) as Fixture;

const worst: Record<string, { deviation: number; where: string }> = {};

function close(actual: number, expected: number, label: string, what: string): void {
  const deviation = Math.abs(actual - expected);
  const scale = Math.abs(expected) > 1e-300 ? Math.abs(expected) : 1;
  const relative = deviation / scale;
  if (!worst[what] || relative > worst[what]!.deviation) worst[what] = { deviation: relative, where: `${label}: ${actual} vs ${expected}` };
  expect(deviation, `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(Math.max(1e-9 * scale, 1e-300));
}

const key = (predicates: SliceCondition[]): string => JSON.stringify([...predicates].sort((a, b) => (a.feature < b.feature ? -1 : 1)));

afterAll(() => {
  for (const [what, w] of Object.entries(worst)) process.stdout.write(`slices vs scipy/numpy, ${what}: worst relative deviation ${w.deviation.toExponential(2)} (${w.where})\n`);
});

describe("Welch's t-test = scipy.stats.ttest_ind(equal_var=False)", () => {
  test.each(fixture.welch)('$name', ({ name, a, b, t, df, p_value }) => {
    const r = welchTest(a, b);
    close(r.t, t, `${name} t`, 'welch t');
    close(r.df, df, `${name} df`, 'welch df');
    close(r.p_value, p_value, `${name} p`, 'welch p');
  });

  test('degenerate: no spread on either side', () => {
    expect(welchTest({ n: 5, mean: 1, variance: 0 }, { n: 7, mean: 0, variance: 0 })).toMatchObject({ t: Infinity, p_value: 0 });
    expect(welchTest({ n: 5, mean: 1, variance: 0 }, { n: 7, mean: 1, variance: 0 }).p_value).toBe(1);
    expect(() => welchTest({ n: 1, mean: 1, variance: 0 }, { n: 7, mean: 1, variance: 1 })).toThrow();
  });

  test('effect size: pooled standard deviation', () => {
    // a: n 3, var 1; b: n 5, var 4 → pooled var = (2·1 + 4·4)/6 = 3.
    expect(pooledEffectSize({ n: 3, mean: 2, variance: 1 }, { n: 5, mean: 1, variance: 4 })).toBeCloseTo(1 / Math.sqrt(3), 15);
    expect(pooledEffectSize({ n: 3, mean: 2, variance: 0 }, { n: 5, mean: 1, variance: 0 })).toBe(Infinity);
  });
});

describe('Benjamini–Hochberg = step-up by hand (numpy) and by definition', () => {
  test.each(fixture.bh.map((c, i) => [i, c] as const))('vector %i', (_i, { p, adjusted, rejected_05 }) => {
    const got = benjaminiHochberg(p);
    got.forEach((v, i) => close(v, adjusted[i]!, `p̃[${i}]`, 'BH adjusted'));
    expect(got.map((v) => v <= 0.05)).toEqual(rejected_05);
  });
  test('rejects p-values outside [0, 1]', () => expect(() => benjaminiHochberg([0.1, NaN])).toThrow());
});

describe('combinations', () => {
  test('sizes 1..k, each ascending', () => {
    expect(combinations(3, 2)).toEqual([[0], [1], [2], [0, 1], [0, 2], [1, 2]]);
    expect(combinations(4, 3)).toHaveLength(4 + 6 + 4);
  });
});

describe('slice candidates in DuckDB = every candidate computed with scipy', () => {
  const duck = memoryDuckDB();

  function load(t: Table): Promise<void> {
    const names = Object.keys(t.columns);
    const columns: Array<[string, ColumnType]> = [...names.map((n): [string, ColumnType] => [n, t.kinds[n] === 'numeric' ? 'DOUBLE' : 'VARCHAR']), ['score', 'DOUBLE'], ['label', 'INTEGER']];
    return createTable(duck.conn, 't', columns, rowsOf([...names.map((n) => t.columns[n]!), t.score, t.label]));
  }

  const request = (t: Table) => ({
    relation: 't',
    score: 'score',
    label: t.loss === 'score_shift' || t.loss === 'low_confidence' ? null : 'label',
    attributes: Object.keys(t.columns).map((name) => ({ name, kind: t.kinds[name]! })),
    loss: t.loss,
    ...(t.threshold !== undefined ? { threshold: t.threshold } : {}),
  });

  test.each(fixture.tables.map((t) => [t.name, t] as const))('%s', async (_name, t) => {
    await load(t);
    const analysis = await analyseSlices(duck.conn, request(t));
    expect(analysis.n).toBe(t.n);
    expect(analysis.min_rows).toBe(t.min_rows);
    close(analysis.metric_overall!, t.metric_overall, 'overall', 'mean loss');
    for (const a of analysis.attributes) if (a.kind === 'numeric') expect(a.edges, `${a.name} edges`).toEqual(t.edges[a.name]);

    const expected = new Map(t.candidates.map((c) => [key(c.predicates), c]));
    const got = new Map(analysis.candidates.map((c) => [key(c.predicates), c]));
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [k, want] of expected) {
      const c = got.get(k)!;
      expect(c.n, k).toBe(want.n);
      close(c.metric, want.metric, `${k} metric`, 'mean loss');
      close(c.metric_rest, want.metric_rest, `${k} metric_rest`, 'mean loss');
      close(c.t, want.t, `${k} t`, 'welch t');
      close(c.df, want.df, `${k} df`, 'welch df');
      close(c.p_value, want.p_value, `${k} p`, 'welch p');
      close(c.p_adjusted, want.p_adjusted, `${k} p_adjusted`, 'BH adjusted');
      close(c.effect_size, want.effect_size, `${k} effect`, 'effect size');
      close(c.ci[0], want.ci[0], `${k} ci low`, `ci ${t.loss}`);
      close(c.ci[1], want.ci[1], `${k} ci high`, `ci ${t.loss}`);
      expect(c.ci[0]).toBeLessThanOrEqual(c.metric);
      expect(c.ci[1]).toBeGreaterThanOrEqual(c.metric);
    }

    const report = SliceReport.parse(await findSlices(duck.conn, { ...request(t), top: 1000 }));
    expect(report.slices.map((s) => key(s.predicates))).toEqual(t.significant.map(key));
    expect(report.candidates).toBe(t.candidates.length);
  });

  test('the planted slice comes first, with a higher error rate than the rest', async () => {
    const t = fixture.tables.find((x) => x.name.startsWith('planted slice, 0/1'))!;
    await load(t);
    const report = await findSlices(duck.conn, request(t));
    const top = report.slices[0]!;
    expect(top.predicates).toEqual(expect.arrayContaining([
      { feature: 'region', op: '==', value: 'north' },
      { feature: 'device', op: '==', value: 'mobile' },
    ]));
    expect(top.metric).toBeGreaterThan(top.metric_rest + 0.2);
    expect(top.p_adjusted).toBeLessThan(1e-6);
    expect(top.ci[0]).toBeGreaterThan(top.metric_rest);
  });

  test('random data with no planted slice reports nothing after Benjamini–Hochberg', async () => {
    const t = fixture.tables.find((x) => x.name.startsWith('no planted slice'))!;
    await load(t);
    const report = await findSlices(duck.conn, request(t));
    expect(report.candidates).toBeGreaterThan(50);
    expect(report.slices).toEqual([]);
  });

  test('low confidence (no labels, threshold 0.3): per-row loss, and the report\'s worst slice, = numpy/scipy', async () => {
    const t = fixture.tables.find((x) => x.loss === 'low_confidence')!;
    expect(t.threshold).toBe(0.3);
    await load(t);
    // The per-row loss exactly as slice discovery computes it in SQL.
    const result = await duck.conn.runAndReadAll(`SELECT ${lossSql('low_confidence', { threshold: t.threshold!, positive: 1 })} AS loss FROM (SELECT rowid AS i, score AS __p FROM t) ORDER BY i`);
    const losses = result.getRowObjectsJS().map((r) => Number(r.loss));
    expect(losses).toHaveLength(t.row_loss!.length);
    losses.forEach((v, i) => close(v, t.row_loss![i]!, `row ${i} (score ${t.score[i]})`, 'low_confidence row loss'));

    const report = SliceReport.parse(await findSlices(duck.conn, request(t)));
    expect(report).toMatchObject({ loss: 'low_confidence', labels: false, n: t.n });
    close(report.metric_overall!, t.metric_overall, 'overall', 'mean loss');
    const top = report.slices[0]!;
    expect(top.predicates).toEqual([{ feature: 'region', op: '==', value: 'east' }]);
    const want = t.candidates.find((c) => key(c.predicates) === key(top.predicates))!;
    expect(top.n).toBe(want.n);
    close(top.metric, want.metric, 'east metric', 'mean loss');
    close(top.ci[0], want.ci[0], 'east ci low', 'ci low_confidence');
    close(top.ci[1], want.ci[1], 'east ci high', 'ci low_confidence');
    close(top.effect_size!, want.effect_size, 'east effect', 'effect size');
    close(top.p_adjusted, want.p_adjusted, 'east p_adjusted', 'BH adjusted');
    // Scores at the threshold: far more loss than the rest, and a narrow interval above it.
    expect(top.ci[0]).toBeGreaterThan(top.metric_rest);
  });

  test('falls back to a no-labels mode when no label has arrived', async () => {
    await duck.conn.run(`CREATE OR REPLACE TABLE u AS SELECT CASE WHEN i % 4 = 0 THEN 'a' ELSE 'b' END AS grp, CASE WHEN i % 4 = 0 THEN 0.9 ELSE 0.1 END + (i % 7) / 100 AS score, NULL::DOUBLE AS label FROM range(400) r(i)`);
    const report = await findSlices(duck.conn, { relation: 'u', score: 'score', label: 'label', attributes: [{ name: 'grp', kind: 'categorical' }] });
    expect(report.labels).toBe(false);
    expect(report.loss).toBe('score_shift');
    expect(report.note).toContain('0 labelled');
    expect(report.slices.map((s) => s.predicates[0]!.value).sort()).toEqual(['a', 'b']);
    const lowConfidence = await findSlices(duck.conn, { relation: 'u', score: 'score', label: null, attributes: [{ name: 'grp', kind: 'categorical' }], loss: 'low_confidence' });
    expect(lowConfidence.loss).toBe('low_confidence');
  });
});
