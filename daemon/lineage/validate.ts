/**
 * Checks on a run beyond its zod schema, done before anything is written (a refused run changes
 * nothing): times that parse and are in order, bounded params, a usable id.
 */
import { randomUUID } from 'node:crypto';
import { SightlineError, type RunRecord } from '../../protocol';

const MAX_PARAMS_BYTES = 256 * 1024;

export interface CheckedRun {
  id: string;
  start: number;
  end: number;
}

/** ISO 8601 to epoch ms; a time without an offset is UTC. */
export function parseTime(iso: string, path: string): number {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const ms = Date.parse(hasZone ? iso : `${iso}Z`);
  if (!Number.isFinite(ms)) throw new SightlineError('bad_value', `${path} ${JSON.stringify(iso)} is not an ISO 8601 time`, [path]);
  return ms;
}

export function checkRun(run: RunRecord): CheckedRun {
  const start = parseTime(run.start, 'start');
  const end = run.end === undefined ? start : parseTime(run.end, 'end');
  if (end < start) throw new SightlineError('bad_value', `end (${run.end}) is before start (${run.start})`, ['end']);
  if (Buffer.byteLength(JSON.stringify(run.params)) > MAX_PARAMS_BYTES) {
    throw new SightlineError('bad_value', `params take more than ${MAX_PARAMS_BYTES} bytes as JSON; log large configs as an artifact instead`, ['params']);
  }
  for (const [k, v] of Object.entries(run.metrics)) {
    if (!Number.isFinite(v)) throw new SightlineError('bad_value', `metric "${k}" is not finite`, ['metrics', k]);
  }
  return { id: run.id ?? randomUUID(), start, end };
}
