/**
 * Freshness: the pure judgements (limits, stuck results, training window) and the SQL over a
 * small in-memory trace built with the real schema.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  computeFreshness,
  DEFAULT_FRESHNESS_LIMITS,
  judgeFreshness,
  numericLeaves,
  stuckGroups,
  trainingWindowEnd,
} from '../../../daemon/analysis/freshness.js';
import { TraceStore } from '../../../daemon/store/trace-store.js';
import { FreshnessReport } from '../../../protocol';

const HOUR = 3_600_000;

describe('training window end', () => {
  test('the day after the last day, 00:00 UTC', () => {
    expect(trainingWindowEnd({ training: { window: '2001-01-01..2001-02-28' } })).toBe(Date.parse('2001-03-01T00:00:00Z'));
    expect(trainingWindowEnd({ training: { window: '2001-01-01..2001-02-28T12:00:00Z' } })).toBe(Date.parse('2001-02-28T12:00:00Z'));
    expect(trainingWindowEnd({ training: {} })).toBeNull();
    expect(trainingWindowEnd(null)).toBeNull();
  });
});

describe('numeric leaves and stuck results', () => {
  test('leaves out times, durations, ids, row counts', () => {
    expect(numericLeaves({ overall: { n: 5000, metrics: { roc_auc: { value: 0.67, ci: [0.65, 0.69] } } }, latency_ms: 3, p99: 7, duration_s: 1, seed: 3, run_id: 4, accuracy: 0.8 })).toEqual({
      'overall.metrics.roc_auc.value': 0.67,
      'overall.metrics.roc_auc.ci[0]': 0.65,
      'overall.metrics.roc_auc.ci[1]': 0.69,
      accuracy: 0.8,
    });
  });

  test('identical numbers in the last K runs of a group are stuck; a change or too few runs are not', () => {
    const same = { auc: 0.7123, acc: 0.81, duration_ms: 1 };
    const runs = [
      { id: 'r5', group: 'golden', results: { ...same, duration_ms: 9 } },
      { id: 'r4', group: 'golden', results: same },
      { id: 'r3', group: 'golden', results: same },
      { id: 'r2', group: 'golden', results: { auc: 0.70, acc: 0.8 } },
      { id: 'a2', group: 'other', results: { auc: 0.7 } },
      { id: 'a1', group: 'other', results: { auc: 0.71 } },
      { id: 'b2', group: 'few', results: { auc: 0.7 } },
    ];
    const result = stuckGroups('runs', [...runs, { id: 'a0', group: 'other', results: { auc: 0.7 } }], 3);
    expect(result.find((r) => r.group === 'golden')).toEqual({ source: 'runs', group: 'golden', run_ids: ['r5', 'r4', 'r3'], values: { auc: 0.7123, acc: 0.81 }, stuck: true });
    expect(result.find((r) => r.group === 'other')).toMatchObject({ stuck: false, values: {} });
    expect(result.find((r) => r.group === 'few')).toBeUndefined();
    // K = 4 reaches back to r2, which differs.
    expect(stuckGroups('runs', runs, 4).find((r) => r.group === 'golden')!.stuck).toBe(false);
  });

  test('results without numbers are not judged', () => {
    expect(stuckGroups('runs', [1, 2, 3].map((i) => ({ id: String(i), group: 'g', results: { note: 'x' } })), 3)).toEqual([]);
  });
});

describe('judgeFreshness', () => {
  const base = {
    model: 'm@v1', trained_at: null, trained_at_source: 'unknown' as const, model_age_hours: null, predictions: 10, newest_prediction: null,
    prediction_age_hours: 2, labelled: 5, newest_label: null, label_age_hours: 100, label_coverage: 0.4, coverage_predictions: 10,
  };
  test('each limit', () => {
    const checks = Object.fromEntries(judgeFreshness(base, DEFAULT_FRESHNESS_LIMITS).map((c) => [c.check, c.ok]));
    expect(checks).toEqual({ model_age: true, prediction_age: true, label_age: false, label_coverage: false });
    const old = judgeFreshness({ ...base, model_age_hours: 91 * 24 }, DEFAULT_FRESHNESS_LIMITS).find((c) => c.check === 'model_age')!;
    expect(old).toMatchObject({ ok: false, observed: 91 * 24, limit: 90 * 24 });
  });
  test('no traffic fails the prediction age; no labels yet fails the label age', () => {
    const checks = judgeFreshness({ ...base, prediction_age_hours: null, label_age_hours: null }, DEFAULT_FRESHNESS_LIMITS);
    expect(checks.find((c) => c.check === 'prediction_age')).toMatchObject({ ok: false, message: 'no predictions logged' });
    expect(checks.find((c) => c.check === 'label_age')).toMatchObject({ ok: false });
  });
});

describe('computeFreshness on a trace', () => {
  let store: TraceStore;
  const now = new Date('2001-07-01T00:00:00Z');
  beforeAll(async () => {
    store = await TraceStore.open(':memory:');
    const card = JSON.parse(readFileSync(new URL('../../../samples/flights/models/flights-delay-v1.sightline.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const c = store.conn;
    await c.run(`INSERT INTO models (id, name, version, card) VALUES ('h1', 'flights-delay', 'v1', '${JSON.stringify(card).replaceAll("'", "''")}')`);
    await c.run(`INSERT INTO models (id, name, version, card, training_run_id) VALUES ('h2', 'flights-delay', 'v2', '{}', 'train-2')`);
    await c.run(`INSERT INTO component_runs (id, component, "start", "end", status) VALUES ('train-2', 'train', '2001-06-20T00:00:00Z', '2001-06-21T00:00:00Z', 'ok')`);
    // v1: 10 predictions, hourly up to 1 h before now; labels for the 6 oldest (arrived 5 h before now).
    for (let i = 0; i < 10; i++) {
      const t = new Date(now.getTime() - (10 - i) * HOUR).toISOString();
      await c.run(`INSERT INTO predictions (id, time, model_id, model_name, model_version, join_key, source, score) VALUES (uuid(), '${t}', 'h1', 'flights-delay', 'v1', 'k${i}', 'served', 0.3)`);
      if (i < 6) await c.run(`INSERT INTO labels (join_key, value, time) VALUES ('k${i}', 1, '${new Date(now.getTime() - 5 * HOUR).toISOString()}')`);
    }
    await c.run(`INSERT INTO predictions (id, time, model_id, model_name, model_version, source, score) VALUES (uuid(), '2001-06-30T23:59:00Z', 'h1', 'flights-delay', 'v1', 'replay:r1', 0.3)`);
    for (const [id, day] of [['e1', 1], ['e2', 2], ['e3', 3]] as const) {
      await c.run(`INSERT INTO runs (id, kind, started, ended, status, settings, results) VALUES ('${id}', 'eval', '2001-06-0${day}T00:00:00Z', '2001-06-0${day}T01:00:00Z', 'ok', '{"data": "golden.parquet"}', '{"overall": {"n": 5000, "metrics": {"roc_auc": {"value": 0.6732}}}, "duration_ms": ${day * 100}}')`);
    }
  });
  afterAll(() => store.close());

  test('ages, coverage, lineage training time, stuck eval runs', async () => {
    const report = FreshnessReport.parse(await computeFreshness(store.conn, { now, limits: { label_delay_hours: 3 } }));
    const v1 = report.models.find((m) => m.model === 'flights-delay@v1')!;
    expect(v1).toMatchObject({
      trained_at: '2001-03-01T00:00:00.000Z', trained_at_source: 'card_window', predictions: 10, labelled: 6,
      newest_prediction: '2001-06-30T23:00:00.000Z', newest_label: '2001-06-30T19:00:00.000Z', coverage_predictions: 8,
    });
    expect(v1.prediction_age_hours).toBeCloseTo(1, 12);
    expect(v1.label_age_hours).toBeCloseTo(5, 12);
    expect(v1.label_coverage).toBe(6 / 8);
    expect(v1.model_age_hours).toBe(122 * 24);
    expect(v1.checks.find((c) => c.check === 'model_age')!.ok).toBe(false);
    const v2 = report.models.find((m) => m.model === 'flights-delay@v2')!;
    expect(v2).toMatchObject({ trained_at: '2001-06-21T00:00:00.000Z', trained_at_source: 'component_runs', model_age_hours: 10 * 24, predictions: 0 });
    expect(report.stuck).toEqual([{ source: 'runs', group: 'golden.parquet', run_ids: ['e3', 'e2', 'e1'], values: { 'overall.metrics.roc_auc.value': 0.6732 }, stuck: true }]);
    expect(report.ok).toBe(false);
  });

  test('one model only', async () => {
    const report = await computeFreshness(store.conn, { now, model: 'flights-delay@v2' });
    expect(report.models.map((m) => m.model)).toEqual(['flights-delay@v2']);
  });
});
