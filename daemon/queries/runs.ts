/**
 * `runs` and `run`: replay and evaluation results stored in the trace's `runs` table (written by
 * `sightline replay` / `sightline eval`; empty until one has run). `results` holds a ReplayReport
 * (protocol/replay.ts); `runs` leaves it out so that a list stays small.
 */
import { RunQuery, RunsQuery, SightlineError, type RunResult, type RunSummary, type RunsResult } from '../../protocol';
import { literal } from '../store/sql';
import { isoFromMs, jsonValue, parseParams, stringOrNull, type QueryContext } from './context';

const COLUMNS = `id, kind, epoch_ms(started)::DOUBLE AS started, epoch_ms(ended)::DOUBLE AS ended, status, settings::VARCHAR AS settings, gates::VARCHAR AS gates`;

export async function listRuns(ctx: QueryContext, params: unknown): Promise<RunsResult> {
  const q = parseParams(RunsQuery, params, 'runs');
  const rows = await ctx.store.query<Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM runs ${q.kind ? `WHERE kind = ${literal(q.kind)}` : ''} ORDER BY started DESC NULLS LAST, id LIMIT ${q.limit}`,
  );
  return { runs: rows.map(summary) };
}

export async function getRun(ctx: QueryContext, params: unknown): Promise<RunResult> {
  const q = parseParams(RunQuery, params, 'run');
  const [row] = await ctx.store.query<Record<string, unknown>>(`SELECT ${COLUMNS}, results::VARCHAR AS results FROM runs WHERE id = ${literal(q.id)}`);
  if (!row) throw new SightlineError('not_found', `no run ${q.id} in this trace (replay and eval runs are listed by the \`runs\` query)`, ['id']);
  return { run: { ...summary(row), results: jsonValue(row.results), gates: jsonValue(row.gates) } };
}

function summary(r: Record<string, unknown>): RunSummary {
  return {
    id: String(r.id),
    kind: String(r.kind),
    started: r.started === null || r.started === undefined ? null : isoFromMs(r.started),
    ended: r.ended === null || r.ended === undefined ? null : isoFromMs(r.ended),
    status: stringOrNull(r.status),
    settings: jsonValue(r.settings),
    passed: gatesPassed(jsonValue(r.gates)),
  };
}

/** Gates are `[{ expr, passed, value }]`: all passed → true, any failed → false, none → null. */
function gatesPassed(gates: unknown): boolean | null {
  if (!Array.isArray(gates) || gates.length === 0) return null;
  return gates.every((g) => typeof g === 'object' && g !== null && (g as { passed?: unknown }).passed === true);
}
