/**
 * The `previous` and `week-ago` baselines on a trace whose predictions sit at known times
 * (window-trace.ts): each test works out in plain TypeScript which rows the reference window
 * must hold, and checks the drift report against statistics computed from exactly those rows
 * (n_ref, Wasserstein of x, L∞ of c and of the text label). Then quality on the same windows,
 * an integer-typed baseline on a trace, and the prediction / label comparisons of named baselines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftReport, QualityReport, SightlineError, type FeatureDrift } from '../../../protocol';
import { addBaseline } from '../../../daemon/baselines/baseline-store';
import { driftOnTrace } from '../../../daemon/findings/drift-run';
import { qualityOnTrace } from '../../../daemon/findings/quality-run';
import type { TraceStore } from '../../../daemon/store/trace-store';
import { HOUR, iso, linf, SERVED, T0, wasserstein, writeWindowTrace, type Row } from './window-trace';

const WEEK = 7 * 24 * HOUR;

let dir: string;
let store: TraceStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-baselines-'));
  store = await writeWindowTrace(path.join(dir, 'trace.duckdb'));
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Newest first, as `last N` counts. */
const newestFirst = [...SERVED].sort((a, b) => b.time - a.time);
const feature = (features: FeatureDrift[], name: string): FeatureDrift => {
  const f = features.find((x) => x.name === name);
  if (!f) throw new Error(`no ${name} in ${features.map((x) => x.name).join(', ')}`);
  return f;
};

/** The drift report of `window` against `baseline`, checked against independent statistics of `ref` vs `cur`. */
async function expectWindows(baseline: string, window: Record<string, unknown>, ref: readonly Row[], cur: readonly Row[]): Promise<void> {
  const { report } = await driftOnTrace(store, { baseline, window });
  DriftReport.parse(report);
  const x = feature(report.features, 'x');
  expect([x.n_ref, x.n_cur]).toEqual([ref.length, cur.length]);
  expect(x.kind === 'numeric' && x.metrics.wasserstein).toBeCloseTo(wasserstein(ref.map((r) => r.x), cur.map((r) => r.x)), 9);
  const c = feature(report.features, 'c');
  expect(c.n_ref).toBe(ref.length);
  expect(c.kind === 'categorical' && c.metrics.linf).toBeCloseTo(linf(ref.map((r) => r.c), cur.map((r) => r.c)), 12);
  const prediction = feature(report.features, 'prediction');
  expect(prediction.kind === 'numeric' && prediction.metrics.wasserstein).toBeCloseTo(wasserstein(ref.map((r) => r.score), cur.map((r) => r.score)), 9);
  // Text labels ('cat' / 'dog') are compared as categories.
  const label = feature(report.features, 'label:y');
  expect(label.kind).toBe('categorical');
  expect([label.n_ref, label.n_cur]).toEqual([ref.length, cur.length]);
  expect(label.kind === 'categorical' && label.metrics.linf).toBeCloseTo(linf(ref.map((r) => r.y), cur.map((r) => r.y)), 12);
}

describe('previous and week-ago windows of a `last N` window', () => {
  it('previous = the N served rows just before the newest N', async () => {
    const cur = newestFirst.slice(0, 50);
    const ref = newestFirst.slice(50, 100);
    expect(ref.map((r) => r.i)).toEqual(Array.from({ length: 50 }, (_, k) => 453 - k));
    await expectWindows('previous', { last: 50 }, ref, cur);
  });

  it('week-ago = every served row in the time span of the newest N, 168 h earlier (read from the data)', async () => {
    const cur = newestFirst.slice(0, 50);
    const lo = Math.min(...cur.map((r) => r.time)) - WEEK;
    const hi = Math.max(...cur.map((r) => r.time)) - WEEK;
    const ref = SERVED.filter((r) => r.time >= lo && r.time <= hi);
    // The span starts 4 minutes into hour 286 (row 286 is 3 minutes too early) and the week-old
    // span crosses the gap of rows 290..309: fewer rows than N.
    expect(ref.map((r) => r.i)).toEqual([287, 288, 289, ...Array.from({ length: 26 }, (_, k) => 310 + k)]);
    await expectWindows('week-ago', { last: 50 }, ref, cur);
  });

  it('with --since, previous still takes the N rows before the (fewer) rows of the window', async () => {
    const since = T0 + 495 * HOUR;
    const cur = newestFirst.filter((r) => r.time >= since).slice(0, 50);
    expect(cur).toHaveLength(9);
    const ref = newestFirst.filter((r) => r.time < since).slice(0, 50);
    await expectWindows('previous', { last: 50, since: iso(since), model: 'm@v1' }, ref, cur);
  });

  it('--since/--until windows keep their meaning: the same length before, and 7 days back', async () => {
    const since = T0 + 400 * HOUR;
    const until = T0 + 424 * HOUR;
    const cur = SERVED.filter((r) => r.time >= since && r.time < until);
    await expectWindows('previous', { since: iso(since), until: iso(until) }, SERVED.filter((r) => r.time >= since - 24 * HOUR && r.time < since), cur);
    await expectWindows('week-ago', { since: iso(since), until: iso(until) }, SERVED.filter((r) => r.time >= since - WEEK && r.time < until - WEEK), cur);
  });

  it('a window without an end is refused with a typed error that names the options to add', async () => {
    for (const [baseline, window] of [['previous', { model: 'm@v1' }], ['week-ago', { model: 'm@v1' }], ['previous', {}], ['week-ago', { since: iso(T0) }]] as const) {
      const err = await driftOnTrace(store, { baseline, window }).catch((e: unknown) => e);
      expect(err, `${baseline} ${JSON.stringify(window)}`).toBeInstanceOf(SightlineError);
      expect((err as SightlineError).code).toBe('invalid_request');
      expect((err as SightlineError).message).toMatch(/--last N .*--since and --until/);
    }
    const err = await qualityOnTrace(store, { baseline: 'previous', window: { model: 'm@v1' } }).catch((e: unknown) => e);
    expect((err as SightlineError).message).toContain('only --model');
  });
});

describe('quality against previous / week-ago windows', () => {
  it('infers the schema from the previous window and expects its row count by default', async () => {
    // Day 12 holds only rows 288, 289, 310, 311 (the gap); day 11 holds 24.
    const since = T0 + 288 * HOUR;
    const window = { since: iso(since), until: iso(since + 24 * HOUR) };
    const { report } = await qualityOnTrace(store, { baseline: 'previous', window });
    QualityReport.parse(report);
    expect(report.violations.find((v) => v.check === 'volume_drop')).toEqual({ feature: null, check: 'volume_drop', severity: 'warning', observed: 4, expected: 24 });
    expect(report.violations.filter((v) => v.check === 'type_change')).toEqual([]);
    // An explicit expected row count wins.
    const given = await qualityOnTrace(store, { baseline: 'previous', window, expectedRows: 4 });
    expect(given.report.violations.some((v) => v.check === 'volume_drop')).toBe(false);
  });

  it('sees categories the previous window did not have, on a `last N` window', async () => {
    // Rows 400.. bring category 'd'; the 150 rows before the window's (rows 184..353 but the gap) have none.
    const { report } = await qualityOnTrace(store, { baseline: 'previous', window: { last: 150, since: iso(T0 + 354 * HOUR) } });
    const cur = newestFirst.filter((r) => r.time >= T0 + 354 * HOUR).slice(0, 150);
    const unseen = report.violations.find((v) => v.check === 'unseen_categories');
    expect(unseen).toMatchObject({ feature: 'c', observed: { share: cur.filter((r) => r.c === 'd').length / cur.length, examples: ['d'] }, expected: ['a', 'b', 'c'] });
    // 150 rows against a reference of 150: no volume drop.
    expect(report.violations.some((v) => v.check === 'volume_drop')).toBe(false);
  });

  it('week-ago works on a `last N` window; an empty reference window is a typed error', async () => {
    const { report } = await qualityOnTrace(store, { baseline: 'week-ago', window: { last: 50 } });
    QualityReport.parse(report);
    const err = await qualityOnTrace(store, { baseline: 'previous', window: { since: iso(T0), until: iso(T0 + 24 * HOUR) } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SightlineError);
    expect((err as SightlineError).message).toContain('holds no predictions');
  });
});

describe('named baselines on a trace', () => {
  it('an INTEGER / BIGINT baseline is no type change against the DOUBLE a trace stores', async () => {
    const file = path.join(dir, 'ints.parquet');
    await store.conn.run(`COPY (SELECT (i % 20)::INTEGER AS x, (i % 7)::BIGINT AS z, (['a', 'b', 'c'])[1 + i % 3] AS c FROM range(300) t(i)) TO ${`'${file}'`} (FORMAT parquet)`);
    const info = await addBaseline(store, { name: 'ints', file });
    expect(info.profile.features.map((f) => f.type)).toEqual(['INTEGER', 'BIGINT', 'VARCHAR']);
    const { report } = await qualityOnTrace(store, { baseline: 'ints', window: { last: 50 } });
    expect(report.violations.filter((v) => v.check === 'type_change')).toEqual([]);
    // The range check still runs: x reaches 19 in the baseline, up to ~20 in the window.
    const cur = newestFirst.slice(0, 50);
    const outside = cur.filter((r) => r.x > 19).length;
    expect(report.violations.find((v) => v.check === 'out_of_range')?.observed).toMatchObject({ share: outside / 50 });
  });

  it('compares the prediction and a text label when the baseline has their columns', async () => {
    const ref = SERVED.slice(0, 200);
    const file = path.join(dir, 'scored.csv');
    await store.conn.run(`COPY (SELECT * FROM (VALUES ${ref.map((r) => `(${r.x}, '${r.c}', ${r.score}, '${r.y}')`).join(', ')}) AS t(x, c, probability, y)) TO '${file}' (HEADER)`);
    await addBaseline(store, { name: 'scored', file });
    const cur = newestFirst.slice(0, 100);
    const { report } = await driftOnTrace(store, { baseline: 'scored', window: { last: 100 } });
    DriftReport.parse(report);
    expect(report.skipped).toBeUndefined();
    const prediction = feature(report.features, 'prediction');
    expect([prediction.n_ref, prediction.n_cur]).toEqual([200, 100]);
    expect(prediction.kind === 'numeric' && prediction.metrics.wasserstein).toBeCloseTo(wasserstein(ref.map((r) => r.score), cur.map((r) => r.score)), 9);
    const label = feature(report.features, 'label:y');
    expect(label.kind).toBe('categorical');
    expect(label.kind === 'categorical' && label.metrics.linf).toBeCloseTo(linf(ref.map((r) => r.y), cur.map((r) => r.y)), 12);
  });

  it('says what it could not compare, and why, instead of leaving it out silently', async () => {
    const { report } = await driftOnTrace(store, { baseline: 'ints', window: { last: 50 } });
    expect(report.features.map((f) => f.name).sort()).toEqual(['c', 'x']);
    expect(report.skipped).toEqual([
      { name: 'prediction', reason: expect.stringContaining('no column "probability"') },
      { name: 'label:y', reason: expect.stringContaining('no column "y"') },
    ]);
    DriftReport.parse(report);
    // Only what was asked for.
    const only = await driftOnTrace(store, { baseline: 'ints', window: { last: 50 }, features: ['x'] });
    expect(only.report.skipped).toBeUndefined();
  });
});
