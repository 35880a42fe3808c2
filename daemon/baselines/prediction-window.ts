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
}

export interface WindowFeature {
  name: string;
  kind: FeatureKind;
}

/** Pseudo-features that analyses may compare besides the model inputs. */
export const SCORE_COLUMN = '__score';
export const LABEL_COLUMN = '__label';

/** A human description of the window, stored with findings ("2001-06-01..2001-07-01, flights-delay@v1"). */
export function describeWindow(spec: WindowSpec): string {
  const parts: string[] = [];
  if (spec.since || spec.until) parts.push(`${spec.since ?? '…'}..${spec.until ?? '…'}`);
  if (spec.last) parts.push(`last ${spec.last}`);
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
  select.push('p.id AS __id', 'p.time AS __time', 'p.join_key AS __join_key', 'p.model_name AS __model', 'p.model_version AS __version', 'p.label_pred AS __label_pred');
  return `(SELECT ${select.join(', ')}
    FROM predictions p
    LEFT JOIN (SELECT prediction_id, any_value(value) AS value FROM labels WHERE prediction_id IS NOT NULL GROUP BY 1) l1 ON l1.prediction_id = p.id
    LEFT JOIN (SELECT join_key, any_value(value) AS value FROM labels WHERE join_key IS NOT NULL GROUP BY 1) l2 ON l2.join_key = p.join_key
    WHERE ${whereClause(spec)}
    ${spec.last ? `ORDER BY p.time DESC LIMIT ${Math.floor(spec.last)}` : ''})`;
}

function whereClause(spec: WindowSpec): string {
  const where: string[] = [];
  if (spec.model) {
    const at = spec.model.lastIndexOf('@');
    if (at > 0) where.push(`p.model_name = ${literal(spec.model.slice(0, at))} AND p.model_version = ${literal(spec.model.slice(at + 1))}`);
    else where.push(`p.model_name = ${literal(spec.model)}`);
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

/** The window just before `spec` of the same length (the "previous window" baseline). */
export function previousWindow(spec: WindowSpec): WindowSpec {
  const { since, until } = requireBounds(spec, 'previous');
  const len = until - since;
  return { ...spec, since: new Date(since - len).toISOString(), until: new Date(since).toISOString() };
}

/** The same window one week earlier (same weekdays: the "week-ago" baseline). */
export function weekEarlier(spec: WindowSpec): WindowSpec {
  const { since, until } = requireBounds(spec, 'week-ago');
  const week = 7 * 24 * 3600 * 1000;
  return { ...spec, since: new Date(since - week).toISOString(), until: new Date(until - week).toISOString() };
}

function requireBounds(spec: WindowSpec, what: string): { since: number; until: number } {
  if (!spec.since || !spec.until) throw new SightlineError('invalid_request', `the ${what} baseline needs a bounded window: give --since and --until`);
  const parse = (s: string): number => Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? s : `${s}${s.length <= 10 ? 'T00:00:00' : ''}Z`);
  return { since: parse(spec.since), until: parse(spec.until) };
}
