/**
 * A ReplayReport computed from real data, for the compare view until `sightline replay` exists:
 * the sample trace's served v1 predictions against the v2 predictions the daemon made in shadow on
 * the same requests (paired by join key), with the labels that arrived. Metrics come from the
 * analysis engine (`evaluate`, scikit-learn definitions), prediction drift from `computeDrift`,
 * latencies from the per-request latencies the daemon logged. The interval of a delta here is the
 * normal approximation from the two metrics' own intervals (unpaired, conservative) — a real
 * replay computes paired intervals. Stored as a row of the trace's `runs` table, as replay will.
 */
import os from 'node:os';
import { ReplayReport, type MetricDelta, type MetricSet, type SliceComparison, type SliceCondition } from '../../protocol';
import { computeDrift } from '../../daemon/analysis';
import { evaluate } from '../../daemon/analysis/metrics';
import { windowRelation } from '../../daemon/baselines/prediction-window';
import { featureHistogram } from '../../daemon/findings/histogram';
import { onnxruntimeVersion } from '../../daemon/runtime/session';
import { literal } from '../../daemon/store/sql';
import { TraceStore } from '../../daemon/store/trace-store';
import { VERSION } from '../../daemon/version';
import { CARD_V1 } from '../helpers/sample';

export const REPLAY_RUN_ID = 'replay-v2-vs-v1-sample';
const HIGHER_BETTER = new Set(['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc']);
const SHOWN = ['roc_auc', 'pr_auc', 'accuracy', 'f1', 'log_loss', 'brier', 'ece'];

export async function writeReplayRun(trace: string): Promise<ReplayReport> {
  const store = await TraceStore.open(trace);
  try {
    const report = await replayReport(store);
    const gates = report.gates;
    await store.conn.run(`DELETE FROM runs WHERE id = ${literal(REPLAY_RUN_ID)}`);
    await store.conn.run(
      `INSERT INTO runs (id, kind, started, ended, status, settings, results, gates) VALUES (${literal(REPLAY_RUN_ID)}, 'replay',
       ${literal(report.started)}::TIMESTAMPTZ, ${literal(report.ended)}::TIMESTAMPTZ, ${literal(report.passed ? 'passed' : 'failed')},
       ${literal(JSON.stringify({ baseline: 'flights-delay@v1', candidate: 'flights-delay@v2', traffic: report.traffic.source }))},
       ${literal(JSON.stringify(report))}, ${literal(JSON.stringify(gates))})`,
    );
    await store.checkpoint();
    return report;
  } finally {
    store.close();
  }
}

async function replayReport(store: TraceStore): Promise<ReplayReport> {
  const started = new Date().toISOString();
  const features = CARD_V1.features.map((f) => ({ name: f.name, kind: f.kind }));
  const base = windowRelation(store, features, { model: 'flights-delay@v1', source: 'served' });
  const cand = windowRelation(store, [], { model: 'flights-delay@v2', source: 'shadow' });
  await store.conn.run(`CREATE OR REPLACE TEMP TABLE pairs AS
    SELECT b.*, b.__score AS b_score, c.__score AS c_score, b.__label_pred AS b_pred, c.__label_pred AS c_pred, b.__label AS y
    FROM ${base} b JOIN ${cand} c ON c.__join_key = b.__join_key`);
  const q = async <T = Record<string, unknown>>(sql: string): Promise<T[]> => (await store.conn.runAndReadAll(sql)).getRowObjectsJson() as T[];
  const [counts] = await q<{ n: number; labelled: number; pos: number }>('SELECT count(*)::INT AS n, count(y)::INT AS labelled, avg(y) AS pos FROM pairs');
  const n = Number(counts!.n);

  // Overall and per-slice metrics of both models, one query each.
  const topOrigins = await q<{ origin: string }>(`SELECT origin FROM pairs WHERE origin <> 'OTHER' GROUP BY 1 ORDER BY count(*) DESC LIMIT 5`);
  const slicePreds: SliceCondition[][] = [
    ...topOrigins.map((o) => [{ feature: 'origin', op: '==' as const, value: o.origin }]),
    [{ feature: 'dep_hour', op: '>', value: 17 }],
    [{ feature: 'dep_hour', op: '<=', value: 9 }],
    [{ feature: 'day_of_week', op: '==', value: 'Fri' }],
  ];
  const evalOf = (score: string) => evaluate(store.conn, { relation: 'pairs', score, label: 'y', threshold: 0.5, positive: 1, slices: slicePreds });
  const [eb, ec] = [await evalOf('b_score'), await evalOf('c_score')];
  const overallDeltas = deltas(eb.overall, ec.overall);

  const sliceRows: SliceComparison[] = [];
  for (const [i, predicates] of slicePreds.entries()) {
    const where = predicates.map((p) => (p.op === '==' ? `"${p.feature}" = ${literal(String(p.value))}` : `"${p.feature}" ${p.op} ${Number(p.value)}`)).join(' AND ');
    const [s] = await q<{ n: number; labelled: number; flips: number }>(`SELECT count(*)::INT AS n, count(y)::INT AS labelled, count(*) FILTER (WHERE b_pred <> c_pred)::INT AS flips FROM pairs WHERE ${where}`);
    const d = deltas(eb.slices[i]!.metrics, ec.slices[i]!.metrics);
    sliceRows.push({ predicates, n: Number(s!.n), labelled: Number(s!.labelled), baseline: eb.slices[i]!.metrics, candidate: ec.slices[i]!.metrics, deltas: d, flip_rate: s!.n ? s!.flips / s!.n : null, regression: d.some((x) => x.regression) });
  }
  sliceRows.sort((a, b) => (a.deltas[0]?.delta ?? 0) - (b.deltas[0]?.delta ?? 0));
  const sliceRegressions = sliceRows.flatMap((s) => s.deltas.filter((d) => d.regression && d.delta !== null).slice(0, 1).map((d) => ({
    predicates: s.predicates, n: s.n, metric: d.metric, baseline: d.baseline, candidate: d.candidate, delta: d.delta!, ci: d.ci, p_adjusted: null,
  })));

  // Flips, output differences, latency.
  const [flipRow] = await q<Record<string, number>>(`SELECT count(*) FILTER (WHERE b_pred <> c_pred)::INT AS flips,
      count(*) FILTER (WHERE b_pred = '0' AND c_pred = '1')::INT AS to_pos, count(*) FILTER (WHERE b_pred = '1' AND c_pred = '0')::INT AS to_neg,
      count(*) FILTER (WHERE b_pred <> c_pred AND y IS NOT NULL AND CAST(c_pred AS DOUBLE) = y)::INT AS fixed,
      count(*) FILTER (WHERE b_pred <> c_pred AND y IS NOT NULL AND CAST(b_pred AS DOUBLE) = y)::INT AS broken FROM pairs`);
  const examples = await q<Record<string, unknown>>(`SELECT __join_key, c.id::VARCHAR AS cid, b_score, c_score, b_pred, c_pred, y, dep_hour, origin, destination, day_of_week, distance
      FROM pairs JOIN predictions c ON c.join_key = pairs.__join_key AND c.source = 'shadow'
      WHERE b_pred <> c_pred ORDER BY abs(c_score - b_score) DESC, __join_key LIMIT 12`);
  const [diff] = await q<Record<string, number>>(`SELECT avg(c_score - b_score) AS mean, avg(abs(c_score - b_score)) AS mean_abs,
      quantile_cont(abs(c_score - b_score), 0.5) AS p50, quantile_cont(abs(c_score - b_score), 0.95) AS p95, quantile_cont(abs(c_score - b_score), 0.99) AS p99,
      max(abs(c_score - b_score)) AS max_abs, avg(CASE WHEN abs(c_score - b_score) <= 1e-6 + 1e-4 * abs(b_score) THEN 1 ELSE 0 END) AS within FROM pairs`);
  const latency = await q<Record<string, number | string>>(`SELECT model_version AS v, source, count(*)::INT AS rows, count(DISTINCT request_id)::INT AS calls,
      quantile_cont(latency_ms, 0.5) AS p50, quantile_cont(latency_ms, 0.95) AS p95, quantile_cont(latency_ms, 0.99) AS p99,
      avg(latency_ms) AS mean, max(latency_ms) AS max, any_value(execution_provider) AS ep
      FROM predictions WHERE (model_version = 'v1' AND source = 'served') OR (model_version = 'v2' AND source = 'shadow') GROUP BY ALL ORDER BY v`);

  // Drift of the candidate's scores against the baseline's.
  const ref = '(SELECT b_score AS score FROM pairs)';
  const cur = '(SELECT c_score AS score FROM pairs)';
  const drift = (await computeDrift(store.conn, { reference: ref, current: cur, features: [{ name: 'score', kind: 'numeric' }] })).features[0]!;
  const histogram = await featureHistogram(store.conn, ref, cur, 'score', 'numeric');
  const [train] = await q<{ pos: number }>('SELECT avg(is_delayed) AS pos FROM "baseline__train-v1"');

  const flips = { flips: Number(flipRow?.flips ?? 0), to_pos: Number(flipRow?.to_pos ?? 0), to_neg: Number(flipRow?.to_neg ?? 0), fixed: Number(flipRow?.fixed ?? 0), broken: Number(flipRow?.broken ?? 0) };
  const p99 = Math.max(...latency.map((l) => Number(l.p99)));
  const auc = overallDeltas.find((d) => d.metric === 'roc_auc');
  const flipRate = n ? flips.flips / n : 0;
  const gates = [
    { expr: 'flip_rate < 0.05', value: flipRate, passed: flipRate < 0.05 },
    { expr: 'auc_delta > -0.005', value: auc?.delta ?? null, passed: (auc?.delta ?? -1) > -0.005 },
    { expr: 'slice_regressions == 0', value: sliceRegressions.length, passed: sliceRegressions.length === 0 },
    { expr: 'p99_ms < 50', value: p99, passed: p99 < 50 },
  ];
  const coverage = n ? counts!.labelled / n : 0;
  const report: ReplayReport = {
    schema: 1,
    kind: 'replay',
    run_id: REPLAY_RUN_ID,
    started,
    ended: new Date().toISOString(),
    traffic: { source: store.path, window: 'served predictions of flights-delay@v1, 2001-04..06', rows: n },
    task: 'binary_classification',
    threshold: 0.5,
    baseline: { name: 'flights-delay', version: 'v1', id: await modelId(store, 'v1'), execution_provider: String(latency[0]?.ep ?? 'cpu') },
    candidate: { name: 'flights-delay', version: 'v2', id: await modelId(store, 'v2'), execution_provider: String(latency[1]?.ep ?? 'cpu') },
    overall: { n: counts!.labelled, baseline: eb.overall, candidate: ec.overall, deltas: overallDeltas },
    slices: sliceRows,
    slice_regressions: sliceRegressions,
    flips: {
      n, count: flips.flips, rate: flipRate, to_positive: flips.to_pos, to_negative: flips.to_neg, fixed: flips.fixed, broken: flips.broken,
      examples: examples.map((e) => ({
        prediction_id: String(e.cid), join_key: String(e.__join_key), baseline_score: Number(e.b_score), candidate_score: Number(e.c_score),
        baseline_label: String(e.b_pred), candidate_label: String(e.c_pred), label: e.y === null ? null : Number(e.y),
        features: { dep_hour: Number(e.dep_hour), origin: String(e.origin), destination: String(e.destination), day_of_week: String(e.day_of_week), distance: Number(e.distance) },
      })),
    },
    output_difference: {
      n, mean: Number(diff!.mean), mean_abs: Number(diff!.mean_abs), p50_abs: Number(diff!.p50), p95_abs: Number(diff!.p95), p99_abs: Number(diff!.p99),
      max_abs: Number(diff!.max_abs), tolerance: { abs: 1e-6, rel: 1e-4 }, within_tolerance: Number(diff!.within), non_finite: 0,
    },
    latency: latency.map((l) => ({
      model: `flights-delay@${l.v}`, role: l.v === 'v1' ? 'baseline' as const : 'candidate' as const, calls: Number(l.calls), rows: Number(l.rows),
      p50_ms: Number(l.p50), p95_ms: Number(l.p95), p99_ms: Number(l.p99), mean_ms: Number(l.mean), max_ms: Number(l.max),
      rows_per_s: Number(l.mean) > 0 ? (1000 / Number(l.mean)) * (Number(l.rows) / Math.max(1, Number(l.calls))) : 0,
      concurrency: 1, batch_size: Math.max(1, Math.round(Number(l.rows) / Math.max(1, Number(l.calls)))), intra_op_threads: null, inter_op_threads: null, execution_provider: String(l.ep ?? 'cpu'),
    })),
    prediction_drift: { method: drift.method, score: drift.score, threshold: drift.threshold, drift: drift.drift, metrics: drift.metrics as Record<string, unknown>, histogram },
    label_sanity: {
      rows: n, labelled: counts!.labelled, coverage,
      positive_rate: counts!.pos === null ? null : Number(counts!.pos), baseline_positive_rate: Number(train!.pos), baseline_source: 'training baseline train-v1',
      ok: coverage >= 0.9,
      warnings: coverage < 0.9 ? [`only ${(coverage * 100).toFixed(1)} % of the replayed rows have a label yet: metrics cover the labelled part (labels of the last two weeks have not arrived)`] : [],
    },
    gates,
    passed: gates.every((g) => g.passed),
    environment: {
      execution_providers: Object.fromEntries(latency.map((l) => [`flights-delay@${l.v}`, String(l.ep ?? 'cpu')])),
      onnxruntime: onnxruntimeVersion, sightline: VERSION, node: process.version, platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length || null,
      intra_op_threads: null, inter_op_threads: null, concurrency: 1, batch_size: 500, tolerance: { abs: 1e-6, rel: 1e-4 },
    },
    warnings: coverage < 0.9 ? ['labels incomplete: see label sanity'] : [],
  };
  return ReplayReport.parse(report);
}

async function modelId(store: TraceStore, version: string): Promise<string> {
  const [r] = await store.query<{ id: string }>(`SELECT id FROM models WHERE name = 'flights-delay' AND version = ${literal(version)}`);
  return r?.id ?? 'unknown';
}

function deltas(b: MetricSet, c: MetricSet): MetricDelta[] {
  const bm = b.metrics as Record<string, { value: number | null; ci: [number, number] | null }>;
  const cm = c.metrics as Record<string, { value: number | null; ci: [number, number] | null }>;
  return SHOWN.filter((k) => k in bm).map((metric) => {
    const bv = bm[metric]!.value;
    const cv = cm[metric]!.value;
    const delta = bv === null || cv === null ? null : cv - bv;
    const half = (m: { ci: [number, number] | null }): number | null => (m.ci ? (m.ci[1] - m.ci[0]) / 2 : null);
    const hb = half(bm[metric]!);
    const hc = half(cm[metric]!);
    const ci: [number, number] | null = delta === null || hb === null || hc === null ? null : [delta - Math.hypot(hb, hc), delta + Math.hypot(hb, hc)];
    const better = HIGHER_BETTER.has(metric) ? 'higher' as const : 'lower' as const;
    const regression = ci !== null && (better === 'higher' ? ci[1] < 0 : ci[0] > 0);
    return { metric, baseline: bv, candidate: cv, delta, ci, method: ci ? 'normal approximation from both intervals (unpaired)' : undefined, better, regression };
  });
}
