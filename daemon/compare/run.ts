/**
 * `sightline compare`: two model versions on the live traffic a trace logged for each (an A/B
 * split, a canary, or a shadow), outcome metrics per group with intervals, the test that fits
 * each metric (stats.ts), the sample size a given effect needs, and a verdict. The per-row values
 * and their aggregates are computed in DuckDB; JavaScript gets one row per group and metric.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  CompareReport, SightlineError,
  type CompareMetric, type CompareMetricKind, type CompareRequest, type CompareVerdict, type ModelCard,
} from '../../protocol';
import { logLossSql } from '../analysis/metrics';
import { normalMeanInterval, wilsonInterval } from '../analysis/metrics/intervals';
import { readRows, toNullableNumber, toNumber } from '../analysis/rows';
import { doubleLiteral } from '../analysis/sql';
import { checkIdentifiers, compareIdentifiers, compareValues, evaluateGates, parseGates } from '../gates';
import { literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import { uuidv7 } from '../store/ids';
import { finishRun, insertRun } from '../replay/store';
import { mannWhitney, sampleSizeMean, sampleSizeOrdinal, sampleSizeRate, twoProportionTest, welchComparison } from './stats';

type Direction = 'higher' | 'lower' | 'neutral';

interface MetricDef {
  kind: CompareMetricKind;
  direction: Direction;
  labels: boolean;
  /** SQL of the per-row value over (score, label, y01, latency_ms, predicted). */
  value: (o: { threshold: string; positive: string }) => string;
  description: string;
}

export const COMPARE_METRICS: Record<string, MetricDef> = {
  accuracy: { kind: 'rate', direction: 'higher', labels: true, value: ({ threshold }) => `CASE WHEN score IS NULL OR label IS NULL THEN NULL WHEN (score >= ${threshold}) = (y = 1) THEN 1 ELSE 0 END`, description: 'share of labelled predictions whose class (score ≥ threshold) is right' },
  error_rate: { kind: 'rate', direction: 'lower', labels: true, value: ({ threshold }) => `CASE WHEN score IS NULL OR label IS NULL THEN NULL WHEN (score >= ${threshold}) = (y = 1) THEN 0 ELSE 1 END`, description: '1 − accuracy' },
  positive_rate: { kind: 'rate', direction: 'neutral', labels: false, value: ({ threshold }) => `CASE WHEN score IS NULL THEN NULL WHEN score >= ${threshold} THEN 1 ELSE 0 END`, description: 'share of predictions that are positive' },
  label_rate: { kind: 'rate', direction: 'neutral', labels: true, value: () => `CASE WHEN label IS NULL THEN NULL ELSE y END`, description: 'share of positive outcomes (labels) — e.g. a conversion' },
  log_loss: { kind: 'mean', direction: 'lower', labels: true, value: () => `CASE WHEN score IS NULL OR label IS NULL THEN NULL ELSE ${logLossSql('score', 'y')} END`, description: 'mean log loss of the labelled predictions' },
  brier: { kind: 'mean', direction: 'lower', labels: true, value: () => `CASE WHEN score IS NULL OR label IS NULL THEN NULL ELSE (score - y) * (score - y) END`, description: 'mean squared error of the probability' },
  abs_error: { kind: 'mean', direction: 'lower', labels: true, value: () => `abs(score - label)`, description: 'mean |prediction − label| (regression)' },
  score: { kind: 'mean', direction: 'neutral', labels: false, value: () => `score`, description: 'mean score / predicted value' },
  latency_ms: { kind: 'ordinal', direction: 'lower', labels: false, value: () => `latency_ms`, description: 'latency per request (Mann–Whitney: latencies are skewed)' },
  label: { kind: 'ordinal', direction: 'neutral', labels: true, value: () => `label`, description: 'the label value itself, as an ordinal outcome (ratings, grades)' },
};

const DEFAULT_EFFECT: Record<CompareMetricKind, string> = { rate: '0.01 (one percentage point)', mean: '0.2 × the pooled standard deviation', ordinal: '0.2 × the pooled standard deviation' };

interface Side {
  model: string;
  name: string;
  version: string;
  source: string;
}

export async function compareOnTrace(store: TraceStore, req: CompareRequest, opts: { traceLabel?: string } = {}): Promise<CompareReport> {
  // A connection of its own: the daemon's writer appends on the store's connection meanwhile.
  const conn = await store.instance.connect();
  try {
    return await compareOn(conn, store, req, opts);
  } finally {
    conn.closeSync();
  }
}

async function compareOn(conn: DuckDBConnection, store: TraceStore, req: CompareRequest, opts: { traceLabel?: string }): Promise<CompareReport> {
  const warnings: string[] = [];
  const a = await side(conn, req.a, req.source_a, 'a');
  const b = await side(conn, req.b, req.source_b, 'b');
  if (a.model === b.model && a.source === b.source) throw new SightlineError('invalid_request', `--a and --b are the same traffic (${a.model}, ${a.source})`);
  const card = await cardOf(conn, b) ?? await cardOf(conn, a);
  const task = card?.task ?? 'binary_classification';
  const threshold = req.threshold ?? card?.threshold ?? 0.5;
  const positiveRaw = card?.label?.positive;
  const positive = typeof positiveRaw === 'number' ? positiveRaw : Number.isFinite(Number(positiveRaw)) && positiveRaw !== undefined ? Number(positiveRaw) : 1;

  const windowSql = [req.since ? `p.time >= ${ts(req.since)}` : null, req.until ? `p.time < ${ts(req.until)}` : null].filter(Boolean).join(' AND ') || 'true';
  const groupSql = (s: Side, g: string): string => `SELECT '${g}' AS grp, p.score, p.latency_ms::DOUBLE AS latency_ms, coalesce(l1.value, l2.value) AS label
    FROM predictions p
    LEFT JOIN (SELECT prediction_id, any_value(value) AS value FROM labels WHERE prediction_id IS NOT NULL GROUP BY 1) l1 ON l1.prediction_id = p.id
    LEFT JOIN (SELECT join_key, any_value(value) AS value FROM labels WHERE join_key IS NOT NULL GROUP BY 1) l2 ON l2.join_key = p.join_key
    WHERE p.model_name = ${literal(s.name)} AND p.model_version = ${literal(s.version)} AND ${s.source === 'any' ? 'true' : `p.source = ${literal(s.source)}`} AND ${windowSql}`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE sl_compare AS
    SELECT grp, score, latency_ms, label, CASE WHEN label IS NULL THEN NULL WHEN label = ${doubleLiteral(positive)} THEN 1.0 ELSE 0.0 END AS y
    FROM (${groupSql(a, 'a')} UNION ALL ${groupSql(b, 'b')})`);
  try {
    const counts = await readRows(conn, `SELECT grp, count(*) AS n, count(label) AS labelled FROM sl_compare GROUP BY grp`);
    const cnt = (g: string, k: 'n' | 'labelled'): number => toNumber(counts.find((r) => r.grp === g)?.[k] ?? 0);
    const groupA = { model: a.model, source: a.source, rows: cnt('a', 'n'), labelled: cnt('a', 'labelled') };
    const groupB = { model: b.model, source: b.source, rows: cnt('b', 'n'), labelled: cnt('b', 'labelled') };
    if (groupA.rows === 0 || groupB.rows === 0) {
      throw new SightlineError('invalid_request', `no logged predictions of ${groupA.rows === 0 ? `${a.model} (source ${a.source})` : `${b.model} (source ${b.source})`} in this window`);
    }
    const labels = groupA.labelled > 0 && groupB.labelled > 0;
    const design: CompareReport['design'] = a.source === 'shadow' || b.source === 'shadow' ? 'shadow' : Math.min(groupA.rows, groupB.rows) < 0.25 * Math.max(groupA.rows, groupB.rows) ? 'canary' : 'ab';
    if (design === 'shadow') warnings.push('shadow traffic: both versions scored the same requests, so the groups are not independent; the independent-sample tests are conservative here');
    for (const g of [groupA, groupB]) if (g.labelled > 0 && g.labelled < 0.9 * g.rows) warnings.push(`${g.model}: only ${((100 * g.labelled) / g.rows).toFixed(1)} % of predictions have a label; label metrics cover those rows only`);

    const requested = req.metrics ?? (task === 'regression' ? (labels ? ['abs_error', 'score', 'latency_ms'] : ['score', 'latency_ms']) : labels ? ['accuracy', 'log_loss', 'positive_rate', 'latency_ms'] : ['positive_rate', 'score', 'latency_ms']);
    const specs = requested.map((m, i) => metricSpec(m, i === 0 ? req.min_effect : undefined));
    const gates = parseGates(req.gates);
    checkIdentifiers(gates, compareIdentifiers(specs.map((s) => s.name)), 'a comparison');
    const metrics: CompareMetric[] = [];
    for (const spec of specs) {
      const def = COMPARE_METRICS[spec.name]!;
      const expr = def.value({ threshold: doubleLiteral(threshold), positive: doubleLiteral(positive) });
      metrics.push(await compareMetric(conn, spec.name, def, spec.direction, expr, spec.minEffect, req.alpha, req.power));
    }
    const verdict: CompareVerdict = metrics[0]?.verdict ?? 'not_enough_data';
    const gateResults = evaluateGates(gates, compareValues({ metrics, a: groupA, b: groupB }));
    const report: CompareReport = {
      schema: 1,
      kind: 'compare',
      run_id: null,
      trace: opts.traceLabel ?? store.path,
      window: [req.since || req.until ? `${req.since ?? '…'}..${req.until ?? '…'}` : 'all logged traffic'].join(''),
      design,
      a: groupA,
      b: groupB,
      alpha: req.alpha,
      power: req.power,
      threshold: task === 'binary_classification' ? threshold : null,
      metrics,
      verdict,
      summary: summaryOf(b.model, a.model, metrics[0]),
      gates: gateResults,
      passed: gateResults.every((g) => g.passed),
      warnings,
    };
    return CompareReport.parse(report);
  } finally {
    await conn.run('DROP TABLE IF EXISTS sl_compare').catch(() => undefined);
  }
}

/** Stores a comparison as a run (kind compare). */
export async function saveComparison(store: TraceStore, report: CompareReport, req: CompareRequest): Promise<CompareReport> {
  const id = `compare-${uuidv7().text}`;
  const now = new Date().toISOString();
  const withId = { ...report, run_id: id };
  await insertRun(store, { id, kind: 'compare', started: now, settings: { ...req, gates: req.gates.map((g) => g.expr) } });
  await finishRun(store, id, { ended: now, status: report.passed ? 'ok' : 'failed', results: withId, gates: report.gates });
  return withId;
}

function metricSpec(raw: string, minEffect: number | undefined): { name: string; direction: Direction; minEffect: number | undefined } {
  const [name, dir] = raw.split(':') as [string, string | undefined];
  const def = COMPARE_METRICS[name];
  if (!def) throw new SightlineError('invalid_request', `--metric ${name}: unknown metric; known: ${Object.keys(COMPARE_METRICS).join(', ')}`);
  if (dir !== undefined && dir !== 'higher' && dir !== 'lower' && dir !== 'neutral') throw new SightlineError('invalid_request', `--metric ${raw}: the direction after ":" must be higher, lower or neutral`);
  return { name, direction: (dir as Direction | undefined) ?? def.direction, minEffect };
}

async function compareMetric(conn: DuckDBConnection, name: string, def: MetricDef, direction: Direction, expr: string, minEffectGiven: number | undefined, alpha: number, power: number): Promise<CompareMetric> {
  const rows = await readRows(conn, `SELECT grp, count(v) AS n, fsum(v) AS s, favg(v) AS mean, var_samp(v) AS var, median(v) AS med
    FROM (SELECT grp, (${expr})::DOUBLE AS v FROM sl_compare) AS vals WHERE v IS NOT NULL AND isfinite(v) GROUP BY grp`);
  const g = (k: string) => rows.find((r) => r.grp === k);
  const stat = (k: string) => {
    const r = g(k);
    return { n: r ? toNumber(r.n) : 0, sum: r ? toNullableNumber(r.s) ?? 0 : 0, mean: r ? toNullableNumber(r.mean) : null, variance: r ? toNullableNumber(r.var) : null, median: r ? toNullableNumber(r.med) : null };
  };
  const A = stat('a');
  const B = stat('b');
  const base = { metric: name, kind: def.kind, direction, n_a: A.n, n_b: B.n };
  let out: Omit<CompareMetric, 'verdict' | 'message' | 'min_effect' | 'required_per_group'>;
  let minEffect: number | null = null;
  let required: number | null = null;
  const pooledVar = A.variance !== null && B.variance !== null && A.n + B.n > 2 ? ((A.n - 1) * A.variance + (B.n - 1) * B.variance) / (A.n + B.n - 2) : null;
  if (def.kind === 'rate') {
    const xa = Math.round(A.sum);
    const xb = Math.round(B.sum);
    const t = twoProportionTest(xa, A.n, xb, B.n, alpha);
    out = { ...base, a: A.n ? xa / A.n : null, b: B.n ? xb / B.n : null, ci_a: wilsonInterval(xa, A.n), ci_b: wilsonInterval(xb, B.n), difference: t.difference, ci: t.ci, test: 'two-proportion z-test', statistic: t.statistic, p_value: t.p_value };
    minEffect = minEffectGiven ?? 0.01;
    required = A.n > 0 ? sampleSizeRate(xa / A.n, minEffect, alpha, power) : null;
  } else if (def.kind === 'mean') {
    const sa = { n: A.n, mean: A.mean ?? NaN, variance: A.variance ?? NaN };
    const sb = { n: B.n, mean: B.mean ?? NaN, variance: B.variance ?? NaN };
    const t = welchComparison(sa, sb, alpha);
    out = {
      ...base, a: A.mean, b: B.mean,
      ci_a: A.mean === null ? null : normalMeanInterval(A.mean, A.variance === null ? null : Math.sqrt(A.variance), A.n),
      ci_b: B.mean === null ? null : normalMeanInterval(B.mean, B.variance === null ? null : Math.sqrt(B.variance), B.n),
      difference: t.difference, ci: t.ci, test: 'Welch t-test', statistic: t.statistic, df: t.df ?? null, p_value: t.p_value,
    };
    minEffect = minEffectGiven ?? (pooledVar !== null ? 0.2 * Math.sqrt(pooledVar) : null);
    required = minEffect !== null && A.variance !== null && B.variance !== null ? sampleSizeMean(A.variance, B.variance, minEffect, alpha, power) : null;
  } else {
    const ranks = await readRows(conn, `WITH vals AS (SELECT grp, (${expr})::DOUBLE AS v FROM sl_compare WHERE (${expr}) IS NOT NULL AND isfinite((${expr})::DOUBLE)),
      c AS (SELECT v, count(*) FILTER (WHERE grp = 'a') AS ca, count(*) FILTER (WHERE grp = 'b') AS cb, count(*) AS t FROM vals GROUP BY v),
      r AS (SELECT *, coalesce(sum(t) OVER (ORDER BY v ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS below FROM c)
      SELECT fsum(cb * (below + (t + 1) / 2.0)) AS rb, fsum(t::DOUBLE * t * t - t) AS ties, sum(ca) AS na, sum(cb) AS nb FROM r`);
    const r = ranks[0];
    const mw = r ? mannWhitney({ na: toNumber(r.na ?? 0), nb: toNumber(r.nb ?? 0), rankSumB: toNullableNumber(r.rb) ?? 0, ties: toNullableNumber(r.ties) ?? 0 }) : { u: null, p_value: null, effect: null, z: null };
    out = {
      ...base, a: A.median, b: B.median, ci_a: null, ci_b: null,
      difference: A.median !== null && B.median !== null ? B.median - A.median : null, ci: null,
      test: 'Mann–Whitney U', statistic: mw.u, p_value: mw.p_value, effect: mw.effect,
    };
    minEffect = minEffectGiven ?? (pooledVar !== null ? 0.2 * Math.sqrt(pooledVar) : null);
    required = minEffect !== null && A.variance !== null && B.variance !== null ? sampleSizeOrdinal(A.variance, B.variance, minEffect, alpha, power) : null;
  }
  const { verdict, message } = judge(out, direction, alpha, required, minEffect, def.kind);
  return { ...out, min_effect: minEffect !== null && Number.isFinite(minEffect) ? minEffect : null, required_per_group: required, verdict, message };
}

function judge(m: { metric: string; n_a: number; n_b: number; p_value: number | null; difference: number | null; effect?: number | null | undefined }, direction: Direction, alpha: number, required: number | null, minEffect: number | null, kind: CompareMetricKind): { verdict: CompareVerdict; message: string } {
  const n = Math.min(m.n_a, m.n_b);
  const need = required !== null ? ` (${required} per group are needed to detect ${minEffect !== null ? fmt(minEffect) : 'the effect'}${kind === 'rate' ? ' absolute' : ''}; the smaller group has ${n})` : '';
  if (m.p_value === null || n < 2) return { verdict: 'not_enough_data', message: `not enough data: ${n} row(s) in the smaller group${need}` };
  // Ordinal: the sign is the effect's (P(B > A) above or below ½); else the difference's.
  const sign = kind === 'ordinal' && m.effect !== null && m.effect !== undefined ? Math.sign(m.effect - 0.5) : Math.sign(m.difference ?? 0);
  if (m.p_value < alpha) {
    if (direction === 'neutral' || sign === 0) return { verdict: 'different', message: `different (p = ${fmt(m.p_value)})` };
    const better = direction === 'higher' ? sign > 0 : sign < 0;
    return { verdict: better ? 'better' : 'worse', message: `${better ? 'better' : 'worse'}: ${m.metric} ${m.difference !== null && m.difference > 0 ? 'rose' : 'fell'} by ${fmt(Math.abs(m.difference ?? 0))} (p = ${fmt(m.p_value)})` };
  }
  if (required === null || n < required) return { verdict: 'not_enough_data', message: `not enough data to tell (p = ${fmt(m.p_value)})${need}` };
  return { verdict: 'no_difference', message: `no difference larger than ${minEffect !== null ? fmt(minEffect) : 'the minimum effect'} (p = ${fmt(m.p_value)}, ${n} per group ≥ ${required} needed)` };
}

function summaryOf(b: string, a: string, m: CompareMetric | undefined): string {
  if (!m) return 'no metric compared';
  return `${b} vs ${a} on ${m.metric}: ${m.verdict.replaceAll('_', ' ')} — ${m.message}`;
}

async function side(conn: DuckDBConnection, ref: string, source: string | undefined, which: string): Promise<Side> {
  const at = ref.lastIndexOf('@');
  if (at <= 0) throw new SightlineError('invalid_request', `--${which} ${ref}: give MODEL@VERSION (e.g. flights-delay@v1)`);
  const name = ref.slice(0, at);
  const version = ref.slice(at + 1);
  if (source) return { model: ref, name, version, source };
  const rows = await readRows(conn, `SELECT source, count(*) AS n FROM predictions WHERE model_name = ${literal(name)} AND model_version = ${literal(version)} AND source IN ('served', 'shadow') GROUP BY source`);
  const served = rows.find((r) => r.source === 'served');
  const shadow = rows.find((r) => r.source === 'shadow');
  if (!served && !shadow) {
    const known = await readRows(conn, `SELECT DISTINCT model_name || '@' || model_version AS m FROM predictions WHERE source IN ('served', 'shadow') ORDER BY 1 LIMIT 20`);
    throw new SightlineError('invalid_request', `--${which} ${ref}: no served or shadow predictions of it in this trace (logged: ${known.map((k) => String(k.m)).join(', ') || 'none'})`);
  }
  return { model: ref, name, version, source: served ? 'served' : 'shadow' };
}

async function cardOf(conn: DuckDBConnection, s: Side): Promise<ModelCard | null> {
  const rows = await readRows(conn, `SELECT card::VARCHAR AS card FROM models WHERE name = ${literal(s.name)} AND version = ${literal(s.version)} LIMIT 1`);
  try {
    return rows[0]?.card ? (JSON.parse(String(rows[0].card)) as ModelCard) : null;
  } catch {
    return null;
  }
}

function ts(iso: string): string {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const ms = Date.parse(hasZone ? iso : `${iso}${iso.length <= 10 ? 'T00:00:00' : ''}Z`);
  if (!Number.isFinite(ms)) throw new SightlineError('invalid_request', `${JSON.stringify(iso)} is not an ISO date or time`);
  return `${literal(new Date(ms).toISOString())}::TIMESTAMPTZ`;
}

function fmt(x: number): string {
  if (x === 0) return '0';
  const abs = Math.abs(x);
  return abs < 1e-3 || abs >= 1e5 ? x.toExponential(2) : String(Number(x.toPrecision(3)));
}

export { DEFAULT_EFFECT };
