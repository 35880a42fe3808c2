/**
 * `sightline compare` statistics against scipy (test/fixtures/gen/compare_reference.py): the pure
 * tests on sufficient statistics, and the whole comparison over an in-memory trace built with the
 * real schema (A/B groups of logged predictions, labels by join key).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compareOnTrace } from '../../../daemon/compare/run';
import { mannWhitney, newcombeInterval, sampleSizeMean, sampleSizeOrdinal, sampleSizeRate, twoProportionTest, welchComparison, zQuantile } from '../../../daemon/compare/stats';
import { TraceStore } from '../../../daemon/store/trace-store';
import { CompareReport, CompareRequest, SightlineError } from '../../../protocol';

interface RateCase { xa: number; na: number; xb: number; nb: number; z: number; p: number; ci: [number, number]; delta: number; required: number }
interface MeanCase { a: number[]; b: number[]; t: number; p: number; df: number; difference: number; ci: [number, number]; mean_a: number; mean_b: number; var_a: number; var_b: number; delta: number; required: number }
interface OrdinalCase { a: number[]; b: number[]; u_b: number; p: number; rank_sum_b: number; ties: number; effect: number; median_a: number; median_b: number; delta: number; required: number }
const cases = JSON.parse(readFileSync(path.join(__dirname, 'compare-cases.json'), 'utf8')) as {
  z975: number; z80: number; rates: RateCase[]; means: MeanCase[]; ordinal: OrdinalCase[];
  trace: { threshold: number; a: { score: number[]; label: number[]; latency: number[] }; b: { score: number[]; label: number[]; latency: number[] }; expected: { accuracy: RateCase; log_loss: MeanCase; latency_ms: OrdinalCase } };
};

const close = (actual: number | null | undefined, expected: number, rel = 1e-9): void => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
};
const summary = (x: number[]) => {
  const n = x.length;
  const mean = x.reduce((a, b) => a + b, 0) / n;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { n, mean, variance };
};

describe('normal quantiles', () => {
  test('as scipy.stats.norm.ppf', () => {
    close(zQuantile(0.975), cases.z975, 1e-12);
    close(zQuantile(0.8), cases.z80, 1e-12);
  });
});

describe('two-proportion z-test, Newcombe interval, sample size', () => {
  test.each(cases.rates.map((c) => [`${c.xa}/${c.na} vs ${c.xb}/${c.nb}`, c] as const))('%s', (_, c) => {
    const r = twoProportionTest(c.xa, c.na, c.xb, c.nb);
    close(r.statistic, c.z, 1e-9);
    close(r.p_value, c.p, 1e-7);
    close(r.ci?.[0], c.ci[0], 1e-9);
    close(r.ci?.[1], c.ci[1], 1e-9);
    expect(newcombeInterval(c.xa, c.na, c.xb, c.nb)).toEqual(r.ci);
    expect(sampleSizeRate(c.xa / c.na, c.delta, 0.05, 0.8)).toBe(c.required);
  });
});

describe('Welch t-test and interval', () => {
  test.each(cases.means.map((c, i) => [`case ${i}`, c] as const))('%s', (_, c) => {
    const r = welchComparison(summary(c.a), summary(c.b));
    close(r.statistic, c.t, 1e-9);
    close(r.p_value, c.p, 1e-7);
    close(r.df, c.df, 1e-9);
    close(r.difference, c.difference, 1e-9);
    close(r.ci?.[0], c.ci[0], 1e-8);
    close(r.ci?.[1], c.ci[1], 1e-8);
    expect(sampleSizeMean(c.var_a, c.var_b, c.delta, 0.05, 0.8)).toBe(c.required);
  });
});

describe('Mann–Whitney U', () => {
  test.each(cases.ordinal.map((c, i) => [`case ${i}`, c] as const))('%s', (_, c) => {
    const r = mannWhitney({ na: c.a.length, nb: c.b.length, rankSumB: c.rank_sum_b, ties: c.ties });
    close(r.u, c.u_b, 1e-12);
    close(r.p_value, c.p, 1e-7);
    close(r.effect, c.effect, 1e-12);
    expect(sampleSizeOrdinal(summary(c.a).variance, summary(c.b).variance, c.delta, 0.05, 0.8)).toBe(c.required);
  });
});

describe('compare over a trace (A/B split)', () => {
  let store: TraceStore;
  beforeAll(async () => {
    store = await TraceStore.open(':memory:');
    const card = { name: 'm', version: 'v2', task: 'binary_classification', threshold: cases.trace.threshold, label: { name: 'y', positive: 1 } };
    await store.conn.run(`INSERT INTO models (id, name, version, card) VALUES ('h2', 'm', 'v2', '${JSON.stringify(card)}'), ('h1', 'm', 'v1', '${JSON.stringify({ ...card, version: 'v1' })}')`);
    for (const [g, version] of [['a', 'v1'], ['b', 'v2']] as const) {
      const rows = cases.trace[g];
      for (let off = 0; off < rows.score.length; off += 500) {
        const values: string[] = [];
        const labels: string[] = [];
        for (let i = off; i < Math.min(rows.score.length, off + 500); i++) {
          values.push(`(uuid(), TIMESTAMPTZ '2001-04-01 00:00:00+00' + INTERVAL ${i} MINUTE, 'h${version.slice(1)}', 'm', '${version}', '${g}${i}', 'served', ${rows.score[i]}, ${rows.latency[i]})`);
          labels.push(`('${g}${i}', ${rows.label[i]}, now(), 'test')`);
        }
        await store.conn.run(`INSERT INTO predictions (id, time, model_id, model_name, model_version, join_key, source, score, latency_ms) VALUES ${values.join(', ')}`);
        await store.conn.run(`INSERT INTO labels (join_key, value, time, source) VALUES ${labels.join(', ')}`);
      }
    }
  });
  afterAll(() => store.close());

  test('accuracy (z-test), log loss (Welch), latency (Mann–Whitney) as scipy computes them', async () => {
    const req = CompareRequest.parse({ a: 'm@v1', b: 'm@v2', metrics: ['accuracy', 'log_loss', 'latency_ms'], min_effect: 0.01, gates: [{ expr: 'worse == 0' }] });
    const report = CompareReport.parse(await compareOnTrace(store, req));
    const e = cases.trace.expected;
    expect(report.design).toBe('ab');
    expect(report.a).toMatchObject({ model: 'm@v1', source: 'served', rows: e.accuracy.na, labelled: e.accuracy.na });
    const [acc, ll, lat] = report.metrics;
    expect(acc).toMatchObject({ metric: 'accuracy', kind: 'rate', test: 'two-proportion z-test', n_a: e.accuracy.na, n_b: e.accuracy.nb, required_per_group: e.accuracy.required });
    close(acc!.a, e.accuracy.xa / e.accuracy.na, 1e-12);
    close(acc!.statistic, e.accuracy.z, 1e-9);
    close(acc!.p_value, e.accuracy.p, 1e-7);
    close(acc!.ci?.[0], e.accuracy.ci[0], 1e-9);
    expect(ll).toMatchObject({ metric: 'log_loss', kind: 'mean', test: 'Welch t-test' });
    close(ll!.a, e.log_loss.mean_a, 1e-9);
    close(ll!.b, e.log_loss.mean_b, 1e-9);
    close(ll!.statistic, e.log_loss.t, 1e-7);
    close(ll!.p_value, e.log_loss.p, 1e-6);
    close(ll!.df, e.log_loss.df, 1e-7);
    close(ll!.ci?.[1], e.log_loss.ci[1], 1e-7);
    expect(ll!.required_per_group).toBe(e.log_loss.required);
    expect(lat).toMatchObject({ metric: 'latency_ms', kind: 'ordinal', test: 'Mann–Whitney U' });
    close(lat!.statistic, e.latency_ms.u_b, 1e-9);
    close(lat!.p_value, e.latency_ms.p, 1e-7);
    // predictions.latency_ms is a FLOAT column: the median comes back at single precision.
    close(lat!.a, e.latency_ms.median_a, 1e-6);
    close(lat!.effect, e.latency_ms.effect, 1e-9);
    // B's latencies are drawn larger: significantly worse (lower is better).
    expect(e.latency_ms.p).toBeLessThan(0.05);
    expect(lat!.verdict).toBe('worse');
    expect(report.gates).toEqual([expect.objectContaining({ expr: 'worse == 0', passed: false, value: report.metrics.filter((m) => m.verdict === 'worse').length })]);
    expect(report.passed).toBe(false);
  });

  test('not enough data when the groups are smaller than the power analysis asks for', async () => {
    const req = CompareRequest.parse({ a: 'm@v1', b: 'm@v2', metrics: ['accuracy'], min_effect: 0.001, until: '2001-04-01T01:00:00Z' });
    const report = await compareOnTrace(store, req);
    expect(report.a.rows).toBe(60);
    expect(report.metrics[0]!.required_per_group).toBeGreaterThan(60);
    expect(report.verdict).toBe('not_enough_data');
  });

  test('a direction override and unknown names', async () => {
    const report = await compareOnTrace(store, CompareRequest.parse({ a: 'm@v1', b: 'm@v2', metrics: ['latency_ms:higher'] }));
    expect(report.metrics[0]!.direction).toBe('higher');
    expect(report.verdict).toBe('better');
    await expect(compareOnTrace(store, CompareRequest.parse({ a: 'm@v1', b: 'm@v2', metrics: ['nope'] }))).rejects.toThrow(/unknown metric; known: accuracy/);
    await expect(compareOnTrace(store, CompareRequest.parse({ a: 'm@v1', b: 'm@v9' }))).rejects.toBeInstanceOf(SightlineError);
    await expect(compareOnTrace(store, CompareRequest.parse({ a: 'm@v1', b: 'm@v2', gates: [{ expr: 'auc_delta > 0' }] }))).rejects.toThrow(/no value named "auc_delta"/);
  });
});
