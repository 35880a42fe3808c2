/**
 * The drift view's queries (`drift_distribution`, `drift_timeline`) on a trace whose rows are
 * known (../analysis/window-trace.ts: text labels 'cat'/'dog', score output `probability`),
 * called in-process as the daemon answers them. The distribution's bins must be the bins `drift`
 * uses: categories of the text label (not the NULL numeric label), the reference's decile edges
 * of the prediction against a named baseline that holds the output column — checked against
 * bins worked out from the rows in plain TypeScript, and against the report's own metrics
 * recomputed from the distribution's shares. What drift cannot compare is a typed refusal that
 * carries drift's reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftDistribution, DriftTimeline, SightlineError, type FeatureDrift } from '../../../protocol';
import { jensenShannonDistance, linfDistance, populationStabilityIndex } from '../../../daemon/analysis/divergence';
import { addBaseline } from '../../../daemon/baselines/baseline-store';
import { driftOnTrace } from '../../../daemon/findings/drift-run';
import { driftDistribution, driftTimeline } from '../../../daemon/queries/drift-views';
import type { QueryContext } from '../../../daemon/queries/context';
import type { TraceStore } from '../../../daemon/store/trace-store';
import { HOUR, iso, SERVED, T0, writeWindowTrace, type Row } from '../analysis/window-trace';

let dir: string;
let store: TraceStore;
let ctx: QueryContext;

/** The first 200 served rows with their scores and labels: baseline `scored`. */
const SCORED = SERVED.slice(0, 200);
const newestFirst = [...SERVED].sort((a, b) => b.time - a.time);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-drift-views-'));
  store = await writeWindowTrace(path.join(dir, 'trace.duckdb'));
  ctx = { store, writer: { flush: async () => {} } };
  const scored = path.join(dir, 'scored.csv');
  await store.conn.run(`COPY (SELECT * FROM (VALUES ${SCORED.map((r) => `(${r.x}, '${r.c}', ${r.score}, '${r.y}')`).join(', ')}) AS t(x, c, probability, y)) TO '${scored}' (HEADER)`);
  await addBaseline(store, { name: 'scored', file: scored });
  const plain = path.join(dir, 'plain.csv');
  await store.conn.run(`COPY (SELECT * FROM (VALUES ${SCORED.map((r) => `(${r.x}, '${r.c}')`).join(', ')}) AS t(x, c)) TO '${plain}' (HEADER)`);
  await addBaseline(store, { name: 'plain', file: plain });
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const distribution = async (params: Record<string, unknown>): Promise<DriftDistribution> => DriftDistribution.parse(await driftDistribution(ctx, params));
const reportFeature = async (baseline: string, window: Record<string, unknown>, name: string): Promise<FeatureDrift> => {
  const { report } = await driftOnTrace(store, { baseline, window });
  const f = report.features.find((x) => x.name === name);
  if (!f) throw new Error(`no ${name} in the drift report`);
  return f;
};
const refusal = async (p: Promise<unknown>): Promise<SightlineError> => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SightlineError);
  return err as SightlineError;
};

/** Shares of each category (sorted by count desc, then text, as the histogram lists them). */
function categoryShares(ref: readonly string[], cur: readonly string[]): { categories: string[]; ref: number[]; cur: number[] } {
  const all = [...new Set([...ref, ...cur])];
  const count = (xs: readonly string[], c: string): number => xs.filter((x) => x === c).length;
  all.sort((a, b) => count(ref, b) + count(cur, b) - (count(ref, a) + count(cur, a)) || (a < b ? -1 : a > b ? 1 : 0));
  return { categories: all, ref: all.map((c) => count(ref, c) / ref.length), cur: all.map((c) => count(cur, c) / cur.length) };
}

/** Decile edges of the reference (linear interpolation, as quantile_cont), distinct; bins (−∞,e1], …, (e_last,∞). */
function decileBins(ref: readonly number[], cur: readonly number[]): { edges: number[]; ref: number[]; cur: number[] } {
  const a = [...ref].sort((p, q) => p - q);
  const quantile = (q: number): number => {
    const pos = (a.length - 1) * q;
    const lo = Math.floor(pos);
    return lo + 1 < a.length ? a[lo]! + (pos - lo) * (a[lo + 1]! - a[lo]!) : a[lo]!;
  };
  const edges = [...new Set(Array.from({ length: 9 }, (_, k) => quantile((k + 1) / 10)))].sort((p, q) => p - q);
  const shares = (xs: readonly number[]): number[] => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const x of xs) {
      const b = edges.findIndex((e) => x <= e);
      counts[b < 0 ? edges.length : b]! += 1;
    }
    return counts.map((c) => c / xs.length);
  };
  return { edges, ref: shares(ref), cur: shares(cur) };
}

function expectClose(actual: readonly number[] | undefined, expected: readonly number[], digits = 12): void {
  expect(actual).toHaveLength(expected.length);
  (actual ?? []).forEach((v, k) => expect(v, `index ${k}`).toBeCloseTo(expected[k]!, digits));
}

describe('drift_distribution: the bins drift uses', () => {
  it('a text label against the previous window: its categories, not the numeric label column', async () => {
    const cur = newestFirst.slice(0, 50);
    const ref = newestFirst.slice(50, 100);
    const window = { last: 50 };
    const dist = await distribution({ feature: 'label:y', baseline: 'previous', window });
    expect(dist).toMatchObject({ feature: 'label:y', kind: 'categorical', rows_ref: 50, rows_cur: 50, baseline: 'previous' });
    const expected = categoryShares(ref.map((r) => r.y), cur.map((r) => r.y));
    expect('categories' in dist.histogram && dist.histogram.categories).toEqual(expected.categories);
    expectClose(dist.histogram.ref, expected.ref);
    expectClose(dist.histogram.cur, expected.cur);
    // The report's metrics come from the same bins.
    const f = await reportFeature('previous', window, 'label:y');
    expect(f.kind).toBe('categorical');
    if (f.kind !== 'categorical' || !f.metrics) throw new Error('no categorical metrics');
    expect(f.metrics.linf).toBeCloseTo(linfDistance(dist.histogram.ref ?? [], dist.histogram.cur ?? []), 12);
    expect(f.metrics.js).toBeCloseTo(jensenShannonDistance(dist.histogram.ref ?? [], dist.histogram.cur ?? []), 12);
    // The label's own name and the internal column name are the same feature.
    for (const alias of ['y', '__label', '__label_text']) expect((await distribution({ feature: alias, baseline: 'previous', window })).histogram).toEqual(dist.histogram);
  });

  it('a text label against a named baseline with the label column: categorical, as drift compares it', async () => {
    const cur = newestFirst.slice(0, 100);
    const dist = await distribution({ feature: 'label:y', baseline: 'scored', window: { last: 100 } });
    expect(dist.kind).toBe('categorical');
    const expected = categoryShares(SCORED.map((r) => r.y), cur.map((r) => r.y));
    expect('categories' in dist.histogram && dist.histogram.categories).toEqual(expected.categories);
    expectClose(dist.histogram.ref, expected.ref);
    expectClose(dist.histogram.cur, expected.cur);
  });

  it('the prediction against a named baseline that holds the output column: the decile bins of drift', async () => {
    const cur = newestFirst.slice(0, 100);
    const window = { last: 100 };
    const dist = await distribution({ feature: 'prediction', baseline: 'scored', window });
    expect(dist).toMatchObject({ feature: 'prediction', kind: 'numeric', rows_ref: 200, rows_cur: 100 });
    const expected = decileBins(SCORED.map((r) => r.score), cur.map((r) => r.score));
    if (!('edges' in dist.histogram)) throw new Error('not numeric bins');
    expectClose(dist.histogram.edges, expected.edges);
    expectClose(dist.histogram.ref, expected.ref);
    expectClose(dist.histogram.cur, expected.cur);
    const f = await reportFeature('scored', window, 'prediction');
    if (f.kind !== 'numeric' || !f.metrics) throw new Error('no numeric metrics');
    expect(f.metrics.psi).toBeCloseTo(populationStabilityIndex(dist.histogram.ref ?? [], dist.histogram.cur ?? []), 12);
    expect(f.metrics.js).toBeCloseTo(jensenShannonDistance(dist.histogram.ref ?? [], dist.histogram.cur ?? []), 12);
    expect((await distribution({ feature: '__score', baseline: 'scored', window })).histogram).toEqual(dist.histogram);
  });

  it('what drift skips is refused with drift\'s reason; an unknown name is unknown_feature', async () => {
    const prediction = await refusal(distribution({ feature: 'prediction', baseline: 'plain', window: { last: 50 } }));
    expect(prediction.code).toBe('unsupported');
    expect(prediction.message).toContain('no column "probability"');
    expect(prediction.path).toEqual(['feature']);
    const label = await refusal(distribution({ feature: 'label:y', baseline: 'plain', window: { last: 50 } }));
    expect(label.code).toBe('unsupported');
    expect(label.message).toContain('no column "y"');
    const unknown = await refusal(distribution({ feature: 'nope', baseline: 'plain', window: { last: 50 } }));
    expect(unknown.code).toBe('unknown_feature');
    expect(unknown.message).toContain('compared: x, c');
    expect((await refusal(distribution({ feature: 'x', baseline: 'no-such-baseline' }))).code).toBe('not_found');
  });
});

describe('drift_timeline on the pseudo-features', () => {
  it('the text label per day against the previous day: each point equals drift on that window', async () => {
    const since = T0 + 400 * HOUR;
    const until = since + 3 * 24 * HOUR;
    const tl = DriftTimeline.parse(await driftTimeline(ctx, { feature: 'label:y', baseline: 'previous', bucket: 'day', window: { since: iso(since), until: iso(until) } }));
    expect(tl.feature).toBe('label:y');
    expect(tl.points.length).toBeGreaterThanOrEqual(3);
    for (const p of tl.points) {
      const f = await reportFeature('previous', { since: p.start, until: p.end }, 'label:y');
      expect(f.kind).toBe('categorical');
      expect([p.method, p.drift, p.n_cur]).toEqual([f.method, f.drift, f.n_cur]);
      expect(p.score).toBeCloseTo(f.score!, 12);
      const rows: Row[] = SERVED.filter((r) => r.time >= Date.parse(p.start) && r.time < Date.parse(p.end));
      expect(p.n_cur).toBe(rows.length);
    }
  });

  it('the prediction against a named baseline holding the output; refused with the reason otherwise', async () => {
    const window = { since: iso(T0 + 400 * HOUR), until: iso(T0 + 448 * HOUR) };
    const tl = DriftTimeline.parse(await driftTimeline(ctx, { feature: 'prediction', baseline: 'scored', bucket: 'day', window }));
    expect(tl.points.length).toBeGreaterThan(0);
    const p = tl.points[0]!;
    const f = await reportFeature('scored', { since: p.start, until: p.end }, 'prediction');
    expect(p.score).toBeCloseTo(f.score!, 12);
    const err = await refusal(driftTimeline(ctx, { feature: 'prediction', baseline: 'plain', bucket: 'day', window }));
    expect(err.code).toBe('unsupported');
  });
});
