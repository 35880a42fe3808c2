import { SightlineError } from '../../protocol';
import { literal } from '../store/sql';
import { parseInstant } from './cutoff';

/** Which predictions an export takes: a time range, a model, then a sample or a limit. */
export interface Selection {
  since?: string | undefined;
  until?: string | undefined;
  /** `name` or `name@version`. */
  model?: string | undefined;
  /** A fraction in (0, 1]: each prediction is kept by a hash of its id, so the sample is repeatable. */
  sample?: number | undefined;
  /** At most N predictions, chosen by the same hash (spread over the range, not the newest N). */
  limit?: number | undefined;
}

const SAMPLE_SCALE = 1_000_000;

export function checkSelection(sel: Selection): void {
  if (sel.sample !== undefined && sel.limit !== undefined) throw new SightlineError('invalid_request', 'give --sample FRACTION or --limit N, not both');
  if (sel.sample !== undefined && !(sel.sample > 0 && sel.sample <= 1)) throw new SightlineError('invalid_request', `--sample must be a fraction in (0, 1], got ${sel.sample}`);
  if (sel.limit !== undefined && !(Number.isInteger(sel.limit) && sel.limit > 0)) throw new SightlineError('invalid_request', `--limit must be a positive whole number, got ${sel.limit}`);
  if (sel.since) parseInstant(sel.since, '--since');
  if (sel.until) parseInstant(sel.until, '--until');
}

/** The predicate on `predictions` (aliased `p`) of a selection, before sampling. */
export function selectionWhere(sel: Selection): string {
  const where: string[] = [];
  if (sel.model) {
    const at = sel.model.lastIndexOf('@');
    if (at > 0) where.push(`p.model_name = ${literal(sel.model.slice(0, at))} AND p.model_version = ${literal(sel.model.slice(at + 1))}`);
    else where.push(`p.model_name = ${literal(sel.model)}`);
  }
  if (sel.since) where.push(`p.time >= ${literal(parseInstant(sel.since, '--since').toISOString())}::TIMESTAMPTZ`);
  if (sel.until) where.push(`p.time < ${literal(parseInstant(sel.until, '--until').toISOString())}::TIMESTAMPTZ`);
  if (sel.sample !== undefined && sel.sample < 1) where.push(`(md5_number(p.id::VARCHAR) % ${SAMPLE_SCALE}) < ${Math.round(sel.sample * SAMPLE_SCALE)}`);
  return where.length ? where.join(' AND ') : 'true';
}

/** `SELECT p.id, p.join_key, p.model_id` of the selected predictions of `table` (e.g. `src.predictions`). */
export function selectionSql(sel: Selection, table = 'predictions'): string {
  const limit = sel.limit !== undefined ? ` ORDER BY md5(p.id::VARCHAR) LIMIT ${Math.floor(sel.limit)}` : '';
  return `SELECT p.id, p.join_key, p.model_id FROM ${table} p WHERE ${selectionWhere(sel)}${limit}`;
}

export function describeSelection(sel: Selection): { since: string | null; until: string | null; model: string | null; sample: number | null; limit: number | null } {
  return { since: sel.since ?? null, until: sel.until ?? null, model: sel.model ?? null, sample: sel.sample ?? null, limit: sel.limit ?? null };
}
