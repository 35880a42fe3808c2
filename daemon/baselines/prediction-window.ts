import { SightlineError, type FeatureKind } from '../../protocol';
import { ident, literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';

/** Which logged predictions form the "current" data of an analysis. */
export interface WindowSpec {
  /** `name` or `name@version`; default: every model. */
  model?: string;
  /** ISO times, [since, until). */
  since?: string;
  until?: string;
  /** Only the newest N predictions (after the other filters). */
  last?: number;
  /** `served` (default), `shadow`, `imported`, `replay:<run>`, or `any`. */
  source?: string;
  /**
   * Internal (the `previous` baseline of a `last N` window; never read from a request): before
   * taking the newest `last`, skip the rows this window holds (and those it skipped itself).
   */
  skip?: WindowSpec;
  /**
   * Internal (the `week-ago` baseline of a `last N` window): instead of since/until, the
   * predictions whose time lies in [min, max] of this window's predictions, moved `days` earlier.
   */
  spanOf?: { window: WindowSpec; days: number };
}

export interface WindowFeature {
  name: string;
  kind: FeatureKind;
}

/** Pseudo-features that analyses may compare besides the model inputs. */
export const SCORE_COLUMN = '__score';
export const LABEL_COLUMN = '__label';
/**
 * The label as text (categorical labels): the text it was logged with, else its number written
 * as an integer when it is one (`1`, not `1.0`, so that it matches an integer label column).
 */
export const LABEL_TEXT_COLUMN = '__label_text';

/** A human description of the window, stored with findings ("2001-06-01..2001-07-01, flights-delay@v1"). */
export function describeWindow(spec: WindowSpec): string {
  const parts: string[] = [];
  if (spec.since || spec.until) parts.push(`${spec.since ?? '…'}..${spec.until ?? '…'}`);
  if (spec.spanOf) parts.push(`the time span of [${describeWindow(spec.spanOf.window)}] ${spec.spanOf.days} days earlier`);
  if (spec.last) parts.push(spec.skip ? `${spec.last} before [${describeWindow(spec.skip)}]` : `last ${spec.last}`);
  parts.push(spec.model ?? 'all models');
  if (spec.source && spec.source !== 'served') parts.push(`source ${spec.source}`);
  return parts.join(', ');
}

/**
 * The predictions of a window as a relation whose columns are the feature names (the trace
 * stores features in generated columns `f_N`; this maps them back), plus the score and the
 * label when one has arrived (matched by prediction id, else by join key).
 */
export function windowRelation(store: TraceStore, features: WindowFeature[], spec: WindowSpec): string {
  const select: string[] = [];
  for (const f of features) {
    const col = store.featureColumn(f.name, f.kind) ?? store.featureColumn(f.name, 'attribute');
    select.push(col ? `p.${ident(col.column)} AS ${ident(f.name)}` : `NULL::${f.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR'} AS ${ident(f.name)}`);
  }
  select.push(`p.score AS ${ident(SCORE_COLUMN)}`);
  select.push(`coalesce(l1.value, l2.value) AS ${ident(LABEL_COLUMN)}`);
  select.push(`coalesce(l1.value_text, l2.value_text) AS ${ident(LABEL_TEXT_COLUMN)}`);
  select.push('p.id AS __id', 'p.time AS __time', 'p.join_key AS __join_key', 'p.model_name AS __model', 'p.model_version AS __version', 'p.label_pred AS __label_pred');
  const text = `coalesce(value_text, CASE WHEN value = trunc(value) AND abs(value) < 1e15 THEN CAST(CAST(value AS BIGINT) AS VARCHAR) ELSE CAST(value AS VARCHAR) END)`;
  return `(SELECT ${select.join(', ')}
    FROM predictions p
    LEFT JOIN (SELECT prediction_id, any_value(value) AS value, any_value(${text}) AS value_text FROM labels WHERE prediction_id IS NOT NULL GROUP BY 1) l1 ON l1.prediction_id = p.id
    LEFT JOIN (SELECT join_key, any_value(value) AS value, any_value(${text}) AS value_text FROM labels WHERE join_key IS NOT NULL GROUP BY 1) l2 ON l2.join_key = p.join_key
    WHERE ${whereClause(spec)}
    ${limitClause(spec)})`;
}

/** Newest first (ties by id, so that a window and the one skipping it never share a row), `last` rows, after the skipped ones. */
function limitClause(spec: WindowSpec): string {
  if (!spec.last) return '';
  return `ORDER BY p.time DESC, p.id DESC LIMIT ${Math.floor(spec.last)}${spec.skip ? ` OFFSET ${skippedRowsSql(spec.skip)}` : ''}`;
}

/** The time of each prediction of a window (no labels, no features): for counts and spans. */
function windowTimesSql(spec: WindowSpec): string {
  return `SELECT p.time FROM predictions p WHERE ${whereClause(spec)} ${limitClause(spec)}`;
}

/** SQL for how many rows a window holds plus how many it skipped itself (the offset of the window before it). */
function skippedRowsSql(spec: WindowSpec): string {
  const own = `(SELECT count(*) FROM (${windowTimesSql(spec)}) AS skipped_rows)`;
  return spec.skip ? `(${own} + ${skippedRowsSql(spec.skip)})` : own;
}

function whereClause(spec: WindowSpec): string {
  const where: string[] = [];
  if (spec.model) {
    const at = spec.model.lastIndexOf('@');
    if (at > 0) where.push(`p.model_name = ${literal(spec.model.slice(0, at))} AND p.model_version = ${literal(spec.model.slice(at + 1))}`);
    else where.push(`p.model_name = ${literal(spec.model)}`);
  }
  if (spec.spanOf) {
    // The span [min, max] of the other window's predictions, moved back by whole hours (a fixed
    // length, as the bounded shift below): an empty window gives NULL bounds, hence no rows.
    const times = `(${windowTimesSql(spec.spanOf.window)}) AS span_rows`;
    const back = `INTERVAL ${Math.round(spec.spanOf.days * 24)} HOUR`;
    where.push(`p.time >= (SELECT min(time) FROM ${times}) - ${back}`, `p.time <= (SELECT max(time) FROM ${times}) - ${back}`);
  }
  if (spec.since) where.push(`p.time >= ${timestamp(spec.since)}`);
  if (spec.until) where.push(`p.time < ${timestamp(spec.until)}`);
  const source = spec.source ?? 'served';
  if (source !== 'any') where.push(`p.source = ${literal(source)}`);
  return where.length ? where.join(' AND ') : 'true';
}

function timestamp(iso: string): string {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const ms = Date.parse(hasZone ? iso : `${iso}${iso.length <= 10 ? 'T00:00:00' : ''}Z`);
  if (!Number.isFinite(ms)) throw new SightlineError('invalid_request', `${JSON.stringify(iso)} is not an ISO date or time`);
  return `${literal(new Date(ms).toISOString())}::TIMESTAMPTZ`;
}

/**
 * The "previous window" baseline of `spec`:
 * - `last N` (with any other filters): the N predictions just before the window's own, in time
 *   order (same model and source; `until` kept, `since` dropped since they lie before it);
 * - `--since A --until B`: [A − (B − A), A), the window before of the same length.
 * Anything else has no "before" (a model version alone selects all of its predictions): a
 * typed error says which options to add.
 */
export function previousWindow(spec: WindowSpec): WindowSpec {
  if (spec.last) {
    const { since: _since, spanOf: _span, ...rest } = spec;
    return { ...rest, skip: spec };
  }
  const { since, until } = requireBounds(spec, 'previous', 'the N predictions before the newest N');
  const len = until - since;
  return { ...spec, since: new Date(since - len).toISOString(), until: new Date(since).toISOString() };
}

/**
 * The "week-ago" baseline of `spec` (same weekdays and hours a week earlier):
 * - `last N`: every prediction (same model and source) whose time lies in the span [min, max]
 *   of the window's own predictions moved 7 days (168 h) earlier — the span is read from the
 *   data, so the reference may hold more or fewer than N rows;
 * - `--since A --until B`: [A − 7 d, B − 7 d).
 * Anything else: a typed error that says which options to add.
 */
export function weekEarlier(spec: WindowSpec): WindowSpec {
  const days = 7;
  if (spec.last) {
    const { since: _since, until: _until, last: _last, skip: _skip, spanOf: _span, ...rest } = spec;
    return { ...rest, spanOf: { window: spec, days } };
  }
  const { since, until } = requireBounds(spec, 'week-ago', 'the time span of the newest N predictions, a week earlier');
  const week = days * 24 * 3600 * 1000;
  return { ...spec, since: new Date(since - week).toISOString(), until: new Date(until - week).toISOString() };
}

function requireBounds(spec: WindowSpec, what: string, lastMeaning: string): { since: number; until: number } {
  if (!spec.since || !spec.until) {
    const given = spec.since ? 'only --since' : spec.until ? 'only --until' : spec.model ? `only --model (every prediction of ${spec.model}, so nothing lies before it)` : 'no window';
    throw new SightlineError('invalid_request', `the ${what} baseline needs a window with a start and an end, but got ${given}: add --last N (${lastMeaning}), or both --since and --until`);
  }
  const parse = (s: string): number => Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? s : `${s}${s.length <= 10 ? 'T00:00:00' : ''}Z`);
  const bounds = { since: parse(spec.since), until: parse(spec.until) };
  for (const [flag, ms] of Object.entries(bounds)) if (!Number.isFinite(ms)) throw new SightlineError('invalid_request', `--${flag} ${JSON.stringify(spec[flag as 'since' | 'until'])} is not an ISO date or time`);
  if (bounds.until <= bounds.since) throw new SightlineError('invalid_request', `the ${what} baseline needs --since before --until`);
  return bounds;
}
