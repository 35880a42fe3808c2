/**
 * Freshness of a trace: is the model old, has traffic stopped, are labels arriving, and has a
 * result that should move stopped moving altogether (a stuck pipeline looks "stable")?
 *
 * Per model version (name@version):
 * - model age = now − the end of its training run: the lineage run that wrote the model's bytes
 *   (`models.training_run_id` → `component_runs.end`, else its start) when present, else the end
 *   of the card's `training.window` ("YYYY-MM-DD..YYYY-MM-DD": the day after the last day,
 *   00:00 UTC, i.e. the training data's age); limit `max_model_age_days` (default 90);
 * - prediction age = now − the newest prediction's time; limit `max_prediction_age_hours` (24);
 * - label age = now − the newest arrival time of a label joined to its predictions (by
 *   prediction id, else join key, as every analysis joins them); limit `max_label_age_hours` (72);
 * - label coverage = labelled share of the predictions at least `label_delay_hours` (0) old —
 *   younger ones are not expected to have their labels yet; limit `min_label_coverage` (0.5).
 * Predictions of every source except replays (`replay:<run>`) count.
 *
 * Stuck results: for the last K (`stuck_runs`, default 3) eval runs of each golden data set
 * (`runs` of kind eval, grouped by settings.data | golden | dataset | file), and the last K runs
 * of each pipeline component that logs metrics (`component_runs.metrics`), the numeric leaves of
 * the results are compared; when all K runs have the same non-empty set of numbers, bit for bit,
 * the group is stuck. Leaves whose key names a time, duration, latency, id, seed or row count
 * (`time`, `duration`, `latency`, `elapsed`, `seconds`, `_ms`, `_s`, `p50`/`p95`/`p99`, `started`,
 * `ended`, `id`, `seed`, `rows`, `n`) are left out: they vary or stay put for reasons of their own.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FreshnessCheck, FreshnessLimits, FreshnessReport, ModelFreshness, StuckResult } from '../../protocol';
import { readRows, toNullableNumber, toNumber, type Row } from './rows.js';
import { quoteLiteral } from './sql.js';

export const DEFAULT_FRESHNESS_LIMITS: FreshnessLimits = {
  max_model_age_days: 90,
  max_prediction_age_hours: 24,
  max_label_age_hours: 72,
  min_label_coverage: 0.5,
  label_delay_hours: 0,
  stuck_runs: 3,
};

const HOUR_MS = 3_600_000;

export interface FreshnessOptions {
  /** `name` or `name@version`; default every model. */
  model?: string;
  /** Ages are measured against this time (default: the clock). */
  now?: Date;
  limits?: Partial<FreshnessLimits>;
}

export async function computeFreshness(conn: DuckDBConnection, opts: FreshnessOptions = {}): Promise<FreshnessReport> {
  const limits: FreshnessLimits = { ...DEFAULT_FRESHNESS_LIMITS, ...definedOnly(opts.limits ?? {}) };
  const now = opts.now ?? new Date();
  const tables = new Set((await readRows(conn, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'`)).map((r) => String(r.table_name)));
  const models = await readRows(conn, modelsSql(opts.model, tables.has('component_runs')));
  const cutoff = now.getTime() - limits.label_delay_hours * HOUR_MS;
  const traffic = new Map<string, Row>();
  for (const r of await readRows(conn, trafficSql(cutoff))) traffic.set(`${String(r.model_name)}@${String(r.model_version)}`, r);

  const out: ModelFreshness[] = models.map((m) => {
    const model = `${String(m.name)}@${String(m.version)}`;
    const t = traffic.get(model);
    const runEnd = toNullableNumber(m.run_end_ms);
    const windowEnd = trainingWindowEnd(cardOf(m.card));
    const trainedAt = runEnd ?? windowEnd;
    const newestPrediction = toNullableNumber(t?.newest_ms);
    const newestLabel = toNullableNumber(t?.newest_label_ms);
    const coverageN = t ? toNumber(t.coverage_n) : 0;
    const entry: Omit<ModelFreshness, 'checks'> = {
      model,
      trained_at: iso(trainedAt),
      trained_at_source: runEnd !== null ? 'component_runs' : windowEnd !== null ? 'card_window' : 'unknown',
      model_age_hours: age(now, trainedAt),
      predictions: t ? toNumber(t.n) : 0,
      newest_prediction: iso(newestPrediction),
      prediction_age_hours: age(now, newestPrediction),
      labelled: t ? toNumber(t.labelled) : 0,
      newest_label: iso(newestLabel),
      label_age_hours: age(now, newestLabel),
      label_coverage: coverageN > 0 ? toNumber(t!.coverage_labelled) / coverageN : null,
      coverage_predictions: coverageN,
    };
    return { ...entry, checks: judgeFreshness(entry, limits) };
  });

  const stuck: StuckResult[] = [];
  if (tables.has('runs')) {
    const runs = await readRows(conn, `SELECT id, settings::VARCHAR AS settings, results::VARCHAR AS results FROM runs
      WHERE kind = 'eval' AND results IS NOT NULL AND coalesce(status, 'ok') NOT IN ('failed', 'error', 'running')
      ORDER BY coalesce(ended, started) DESC NULLS LAST, id DESC`);
    stuck.push(...stuckGroups('runs', runs.map((r) => ({ id: String(r.id), group: dataSetOf(parse(r.settings)), results: parse(r.results) })), limits.stuck_runs));
  }
  if (tables.has('component_runs')) {
    const runs = await readRows(conn, `SELECT id, component, metrics::VARCHAR AS metrics FROM component_runs
      WHERE metrics IS NOT NULL AND status = 'ok' ORDER BY coalesce("end", "start") DESC, id DESC`);
    stuck.push(...stuckGroups('component_runs', runs.map((r) => ({ id: String(r.id), group: String(r.component), results: parse(r.metrics) })), limits.stuck_runs));
  }
  return {
    now: now.toISOString(),
    limits,
    models: out,
    stuck,
    ok: out.every((m) => m.checks.every((c) => c.ok)) && stuck.every((s) => !s.stuck),
  };
}

/** The checks of one model against the limits (pure). */
export function judgeFreshness(m: Omit<ModelFreshness, 'checks'>, limits: FreshnessLimits): FreshnessCheck[] {
  const checks: FreshnessCheck[] = [];
  const maxModelHours = limits.max_model_age_days * 24;
  checks.push(
    m.model_age_hours === null
      ? { check: 'model_age', ok: true, observed: null, limit: maxModelHours, message: 'training time unknown (no lineage run wrote the model, no training window in its card)' }
      : { check: 'model_age', ok: m.model_age_hours <= maxModelHours, observed: m.model_age_hours, limit: maxModelHours, message: `trained ${m.model_age_hours >= 0 ? `${days(m.model_age_hours)} ago` : `${days(-m.model_age_hours)} after the reference time`} (${m.trained_at_source === 'component_runs' ? 'training run end' : 'end of training window'}; limit ${limits.max_model_age_days} days)` },
  );
  checks.push(
    m.prediction_age_hours === null
      ? { check: 'prediction_age', ok: false, observed: null, limit: limits.max_prediction_age_hours, message: 'no predictions logged' }
      : { check: 'prediction_age', ok: m.prediction_age_hours <= limits.max_prediction_age_hours, observed: m.prediction_age_hours, limit: limits.max_prediction_age_hours, message: `newest prediction ${ago(m.prediction_age_hours)} (limit ${limits.max_prediction_age_hours} h)` },
  );
  checks.push(
    m.label_age_hours === null
      ? { check: 'label_age', ok: m.predictions === 0, observed: null, limit: limits.max_label_age_hours, message: m.predictions === 0 ? 'no predictions, no labels expected' : 'no label has arrived for any prediction' }
      : { check: 'label_age', ok: m.label_age_hours <= limits.max_label_age_hours, observed: m.label_age_hours, limit: limits.max_label_age_hours, message: `newest label arrived ${ago(m.label_age_hours)} (limit ${limits.max_label_age_hours} h)` },
  );
  checks.push(
    m.label_coverage === null
      ? { check: 'label_coverage', ok: true, observed: null, limit: limits.min_label_coverage, message: `no prediction older than the label delay (${limits.label_delay_hours} h)` }
      : { check: 'label_coverage', ok: m.label_coverage >= limits.min_label_coverage, observed: m.label_coverage, limit: limits.min_label_coverage, message: `${(m.label_coverage * 100).toFixed(1)} % of ${m.coverage_predictions} predictions labelled (minimum ${(limits.min_label_coverage * 100).toFixed(0)} %)` },
  );
  return checks;
}

/**
 * Groups whose last K runs (input newest first) repeat the same numbers exactly (pure). Groups
 * with fewer than K runs, or whose results hold no comparable number, are not judged.
 */
export function stuckGroups(source: StuckResult['source'], runs: Array<{ id: string; group: string; results: unknown }>, k: number): StuckResult[] {
  const byGroup = new Map<string, Array<{ id: string; values: Record<string, number> }>>();
  for (const r of runs) {
    const list = byGroup.get(r.group) ?? [];
    if (list.length < k) list.push({ id: r.id, values: numericLeaves(r.results) });
    byGroup.set(r.group, list);
  }
  const out: StuckResult[] = [];
  for (const [group, list] of byGroup) {
    if (list.length < k) continue;
    const first = list[0]!.values;
    const keys = Object.keys(first).sort();
    if (keys.length === 0) continue;
    const same = list.every((r) => {
      const ks = Object.keys(r.values).sort();
      return ks.length === keys.length && ks.every((key, i) => key === keys[i] && Object.is(r.values[key], first[key]));
    });
    out.push({ source, group, run_ids: list.map((r) => r.id), values: same ? first : {}, stuck: same });
  }
  return out;
}

const VOLATILE_KEY = /(^|_|\b)(time|times|timestamp|duration|latency|elapsed|seconds|secs|ms|s|p50|p90|p95|p99|started|ended|start|end|id|ids|seed|rows|n)$/i;

/** Numeric leaves of a JSON value by dotted path, leaving out volatile keys (see the module comment). */
export function numericLeaves(value: unknown, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (v: unknown, path: string, key: string): void => {
    if (typeof v === 'number') {
      if (Number.isFinite(v) && !VOLATILE_KEY.test(key)) out[path] = v;
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, k);
  };
  walk(value, prefix, '');
  return out;
}

/** The exclusive end of a card's `training.window` ("a..b" → the day after b, 00:00 UTC), as ms. */
export function trainingWindowEnd(card: Record<string, unknown> | null): number | null {
  const training = card?.training;
  const window = training && typeof training === 'object' ? (training as Record<string, unknown>).window : undefined;
  if (typeof window !== 'string') return null;
  const end = window.split('..')[1]?.trim();
  if (!end) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(end)) {
    const ms = Date.parse(`${end}T00:00:00Z`);
    return Number.isFinite(ms) ? ms + 24 * HOUR_MS : null;
  }
  const ms = Date.parse(end);
  return Number.isFinite(ms) ? ms : null;
}

// ── SQL ─────────────────────────────────────────────────────────────────────────

function modelsSql(model: string | undefined, lineage: boolean): string {
  let where = '';
  if (model) {
    const at = model.lastIndexOf('@');
    where = at > 0 ? `WHERE m.name = ${quoteLiteral(model.slice(0, at))} AND m.version = ${quoteLiteral(model.slice(at + 1))}` : `WHERE m.name = ${quoteLiteral(model)}`;
  }
  const runEnd = lineage ? `(SELECT epoch_ms(coalesce(r."end", r."start"))::DOUBLE FROM component_runs r WHERE r.id = m.training_run_id)` : 'NULL::DOUBLE';
  return `SELECT m.name, m.version, m.card::VARCHAR AS card, ${runEnd} AS run_end_ms FROM models m ${where} ORDER BY m.name, m.version`;
}

function trafficSql(cutoffMs: number): string {
  const cutoff = `to_timestamp(${cutoffMs / 1000})`;
  return `WITH
  by_id AS (SELECT prediction_id, max(time) AS t FROM labels WHERE prediction_id IS NOT NULL GROUP BY 1),
  by_key AS (SELECT join_key, max(time) AS t FROM labels WHERE join_key IS NOT NULL GROUP BY 1),
  joined AS (
    SELECT p.model_name, p.model_version, p.time, coalesce(by_id.t, by_key.t) AS label_time
    FROM predictions p
    LEFT JOIN by_id ON by_id.prediction_id = p.id
    LEFT JOIN by_key ON by_key.join_key = p.join_key
    WHERE p.source NOT LIKE 'replay:%'
  )
SELECT model_name, model_version, count(*) AS n,
  epoch_ms(max(time))::DOUBLE AS newest_ms,
  count(label_time) AS labelled,
  epoch_ms(max(label_time))::DOUBLE AS newest_label_ms,
  count(*) FILTER (WHERE time <= ${cutoff}) AS coverage_n,
  count(label_time) FILTER (WHERE time <= ${cutoff}) AS coverage_labelled
FROM joined GROUP BY 1, 2`;
}

// ── helpers ─────────────────────────────────────────────────────────────────────

function dataSetOf(settings: unknown): string {
  if (settings && typeof settings === 'object') {
    const s = settings as Record<string, unknown>;
    for (const key of ['data', 'golden', 'dataset', 'file']) if (typeof s[key] === 'string') return s[key] as string;
  }
  return '(all eval runs)';
}

function cardOf(value: unknown): Record<string, unknown> | null {
  const parsed = parse(value);
  return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
}

function parse(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}

function age(now: Date, ms: number | null): number | null {
  return ms === null ? null : (now.getTime() - ms) / HOUR_MS;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function hours(h: number): string {
  return Math.abs(h) < 48 ? `${h.toFixed(1)} h` : days(h);
}

/** `3.2 h ago`, or `2.0 days after the reference time` for a time past `now`. */
function ago(h: number): string {
  return h >= 0 ? `${hours(h)} ago` : `${hours(-h)} after the reference time`;
}

function days(h: number): string {
  return `${(h / 24).toFixed(1)} days`;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
