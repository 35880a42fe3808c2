/**
 * The prediction explorer's queries: `predictions` (one filtered, sorted page; never all rows)
 * and `prediction` (one prediction with its inputs, outputs, label, flags and lineage).
 * Filtering, counting and paging run in DuckDB; JavaScript only shapes at most one page.
 */
import {
  ModelCard, PredictionQuery, PredictionsQuery, SightlineError,
  type PredictionDetail, type PredictionFilters, type PredictionRow, type PredictionsPage, type SliceCondition,
} from '../../protocol';
import { conjunctionSql, predicateKind } from '../analysis/slices';
import { modelCards } from '../findings/drift-run';
import { parseUuid, uuidText } from '../store/ids';
import { ident, literal } from '../store/sql';
import type { FeatureColumn, TraceStore } from '../store/trace-store';
import { isoFromMs, jsonValue, numberOrNull, parseParams, stringOrNull, type QueryContext } from './context';

const DEFAULT_FEATURES = 4;

export async function predictionsPage(ctx: QueryContext, params: unknown): Promise<PredictionsPage> {
  const q = parseParams(PredictionsQuery, params, 'predictions');
  await ctx.writer.flush();
  const { store } = ctx;
  const shown = q.features ?? (await defaultFeatures(store, q.filters.model));
  const columns = new Map<string, string>();
  for (const name of shown) {
    const col = anyColumn(store, name);
    if (col) columns.set(name, col.column);
  }
  const predicates = q.filters.predicates ?? [];
  // Predicate features under their own names, read from the column of the kind the predicate implies.
  const predicateColumns = new Map<string, string>();
  for (const p of predicates) {
    const col = predicateColumn(store, p);
    if (!col) throw new SightlineError('unknown_feature', `no feature or attribute "${p.feature}" has been logged in this trace`, ['filters', 'predicates']);
    predicateColumns.set(p.feature, col.column);
  }
  const select = [
    ...[...columns].map(([, col], i) => `p.${ident(col)} AS ${ident(`__f${i}`)}`),
    ...[...predicateColumns].map(([name, col]) => `p.${ident(col)} AS ${ident(name)}`),
  ];
  const base = `(SELECT p.id::VARCHAR AS __id, epoch_ms(p.time)::DOUBLE AS __t, p.time AS __time, p.model_name AS __model,
      p.model_version AS __version, p.source AS __source, p.score AS __score, p.label_pred AS __label_pred,
      p.latency_ms AS __latency, coalesce(l1.value, l2.value) AS __label,
      (l1.n IS NOT NULL OR l2.n IS NOT NULL) AS __labelled${select.length ? `, ${select.join(', ')}` : ''}
    FROM predictions p
    LEFT JOIN (SELECT prediction_id, any_value(value) AS value, count(*) AS n FROM labels WHERE prediction_id IS NOT NULL GROUP BY 1) l1 ON l1.prediction_id = p.id
    LEFT JOIN (SELECT join_key, any_value(value) AS value, count(*) AS n FROM labels WHERE join_key IS NOT NULL GROUP BY 1) l2 ON l2.join_key = p.join_key
    WHERE ${innerWhere(q.filters)}) b`;
  const where = outerWhere(q.filters, predicates);
  const order = {
    time_desc: '__time DESC, __id DESC',
    time_asc: '__time ASC, __id ASC',
    score_desc: '__score DESC NULLS LAST, __time DESC, __id DESC',
    score_asc: '__score ASC NULLS LAST, __time DESC, __id DESC',
  }[q.sort];
  const [countRow] = await store.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${base} WHERE ${where}`);
  const rows = await store.query<Record<string, unknown>>(
    `SELECT * FROM ${base} WHERE ${where} ORDER BY ${order} LIMIT ${q.page_size} OFFSET ${q.page * q.page_size}`,
  );
  const models = await store.query<Record<string, unknown>>(
    'SELECT model_name, model_version, count(*)::BIGINT AS n FROM predictions GROUP BY ALL ORDER BY model_name, model_version',
  );
  const names = [...columns.keys()];
  return {
    rows: rows.map((r): PredictionRow => ({
      id: String(r.__id),
      time: isoFromMs(r.__t),
      model: String(r.__model),
      version: String(r.__version),
      source: String(r.__source),
      score: numberOrNull(r.__score),
      label_pred: stringOrNull(r.__label_pred),
      label: numberOrNull(r.__label),
      latency_ms: numberOrNull(r.__latency),
      features: Object.fromEntries(names.map((name, i) => [name, scalar(r[`__f${i}`])])),
    })),
    total: Number(countRow?.n ?? 0),
    page: q.page,
    page_size: q.page_size,
    features: names,
    models: models.map((m) => ({ name: String(m.model_name), version: String(m.model_version), n: Number(m.n) })),
  };
}

export async function predictionDetail(ctx: QueryContext, params: unknown): Promise<PredictionDetail> {
  const q = parseParams(PredictionQuery, params, 'prediction');
  const value = parseUuid(q.id);
  if (value === null) throw new SightlineError('bad_value', `${JSON.stringify(q.id)} is not a prediction id (a UUID)`, ['id']);
  const id = uuidText(value);
  await ctx.writer.flush();
  const { store } = ctx;
  const all = store.allFeatureColumns();
  const [row] = await store.query<Record<string, unknown>>(
    `SELECT p.id::VARCHAR AS __id, epoch_ms(p.time)::DOUBLE AS __t, p.model_id, p.model_name, p.model_version, p.request_id, p.join_key,
       p.source, p.execution_provider, p.latency_ms, p.score, p.label_pred, p.outputs::VARCHAR AS outputs, p.raw::VARCHAR AS raw
       ${all.length ? `, ${all.map((c) => `p.${ident(c.column)}`).join(', ')}` : ''}
     FROM predictions p WHERE p.id = ${literal(id)}::UUID LIMIT 1`,
  );
  if (!row) throw new SightlineError('not_found', `no prediction ${id} in this trace`, ['id']);
  const [modelRow] = await store.query<{ card: unknown }>(`SELECT card FROM models WHERE id = ${literal(String(row.model_id))}`);
  const card = modelRow ? ModelCard.safeParse(jsonValue(modelRow.card)) : null;
  const inputs: Record<string, number | string | boolean | null> = {};
  for (const f of card?.success ? card.data.features : []) {
    const col = store.featureColumn(f.name, f.kind) ?? anyColumn(store, f.name);
    inputs[f.name] = col ? scalar(row[col.column]) : null;
  }
  const attributes: Record<string, number | string | boolean | null> = {};
  for (const c of all) {
    if (c.kind !== 'attribute' || row[c.column] === null || row[c.column] === undefined) continue;
    attributes[c.feature] = scalar(row[c.column]);
  }
  if (!card?.success) {
    // No card: every non-empty feature column of the row is an input.
    for (const c of all) if (c.kind !== 'attribute' && row[c.column] !== null && row[c.column] !== undefined) inputs[c.feature] = scalar(row[c.column]);
  }
  const joinKey = stringOrNull(row.join_key);
  const [label] = await store.query<Record<string, unknown>>(
    `SELECT value, value_text, epoch_ms(time)::DOUBLE AS t, source FROM labels
     WHERE prediction_id = ${literal(id)}::UUID ${joinKey !== null ? `OR join_key = ${literal(joinKey)}` : ''}
     ORDER BY time DESC LIMIT 1`,
  );
  const flags = await store.query<Record<string, unknown>>(
    `SELECT reason, epoch_ms(time)::DOUBLE AS t, source FROM flags WHERE target_kind = 'prediction' AND target_id = ${literal(id)} ORDER BY time`,
  );
  let trace: PredictionDetail['trace'] = null;
  let traceError: string | undefined;
  if (q.trace && ctx.lineage) {
    try {
      trace = await ctx.lineage.trace({ prediction: id });
    } catch (err) {
      traceError = err instanceof Error ? err.message : String(err);
    }
  } else if (q.trace) traceError = 'lineage is not available in this process';
  const outputs = jsonValue(row.outputs);
  return {
    id,
    time: isoFromMs(row.__t),
    model: { id: String(row.model_id), name: String(row.model_name), version: String(row.model_version) },
    source: String(row.source),
    execution_provider: stringOrNull(row.execution_provider),
    latency_ms: numberOrNull(row.latency_ms),
    request_id: stringOrNull(row.request_id),
    join_key: joinKey,
    score: numberOrNull(row.score),
    label_pred: stringOrNull(row.label_pred),
    inputs,
    attributes,
    outputs: outputs && typeof outputs === 'object' && !Array.isArray(outputs) ? (outputs as Record<string, unknown>) : {},
    raw: jsonValue(row.raw),
    label: label
      ? { value: numberOrNull(label.value), text: stringOrNull(label.value_text), time: isoFromMs(label.t), source: stringOrNull(label.source) }
      : null,
    flags: flags.map((f) => ({ reason: stringOrNull(f.reason), time: isoFromMs(f.t), source: stringOrNull(f.source) })),
    trace,
    ...(traceError !== undefined ? { trace_error: traceError } : {}),
  };
}

/** The first features of the newest card of the filtered model (or of any model). */
async function defaultFeatures(store: TraceStore, model: string | undefined): Promise<string[]> {
  const cards = await modelCards(store, model).catch(() => []);
  const card = cards[cards.length - 1];
  if (card) return card.features.slice(0, DEFAULT_FEATURES).map((f) => f.name);
  return store.allFeatureColumns().filter((c) => c.kind !== 'attribute').slice(0, DEFAULT_FEATURES).map((c) => c.feature);
}

function anyColumn(store: TraceStore, name: string): FeatureColumn | undefined {
  return store.featureColumn(name, 'numeric') ?? store.featureColumn(name, 'categorical') ?? store.featureColumn(name, 'attribute');
}

/** Range predicates read the numeric column, `==` the categorical one; either falls back to what exists. */
function predicateColumn(store: TraceStore, p: SliceCondition): FeatureColumn | undefined {
  const kind = predicateKind(p);
  const first = store.featureColumn(p.feature, kind);
  return first ?? store.featureColumn(p.feature, 'attribute') ?? anyColumn(store, p.feature);
}

function innerWhere(f: PredictionFilters): string {
  const where: string[] = [];
  if (f.model) {
    const at = f.model.lastIndexOf('@');
    if (at > 0) where.push(`p.model_name = ${literal(f.model.slice(0, at))} AND p.model_version = ${literal(f.model.slice(at + 1))}`);
    else where.push(`p.model_name = ${literal(f.model)}`);
  }
  if (f.since) where.push(`p.time >= ${timeLiteral(f.since, 'since')}`);
  if (f.until) where.push(`p.time < ${timeLiteral(f.until, 'until')}`);
  if (f.source) where.push(`p.source = ${literal(f.source)}`);
  if (f.score_min !== undefined) where.push(`p.score >= ${Number(f.score_min)}`);
  if (f.score_max !== undefined) where.push(`p.score <= ${Number(f.score_max)}`);
  return where.length ? where.join(' AND ') : 'true';
}

function outerWhere(f: PredictionFilters, predicates: SliceCondition[]): string {
  const where: string[] = [];
  if (f.labelled !== undefined) where.push(f.labelled ? '__labelled' : 'NOT __labelled');
  if (predicates.length) {
    try {
      where.push(conjunctionSql(predicates));
    } catch (err) {
      throw new SightlineError('bad_value', err instanceof Error ? err.message : String(err), ['filters', 'predicates']);
    }
  }
  return where.length ? where.join(' AND ') : 'true';
}

/** ISO date or time → a TIMESTAMPTZ literal (dates and zone-less times are UTC). */
export function timeLiteral(iso: string, field: string): string {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const ms = Date.parse(hasZone ? iso : `${iso}${iso.length <= 10 ? 'T00:00:00' : ''}Z`);
  if (!Number.isFinite(ms)) throw new SightlineError('bad_value', `${JSON.stringify(iso)} is not an ISO date or time`, ['filters', field]);
  return `${literal(new Date(ms).toISOString())}::TIMESTAMPTZ`;
}

function scalar(v: unknown): number | string | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return typeof v === 'number' && !Number.isFinite(v) ? null : v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}
