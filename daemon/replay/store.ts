/**
 * What a run leaves in the trace: its row in `runs` (written when it starts, completed when it
 * ends: settings, the report as `results`, the gate outcomes), and — unless turned off — the
 * replayed predictions of each model in `predictions` with source `replay:<run_id>`, inserted
 * by one SQL statement per model from the run's temporary tables, all in one transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { GateResult, ReplayRunStatus } from '../../protocol';
import { doubleLiteral } from '../analysis/sql';
import { literal, ident } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import type { InputColumn } from './input';
import type { ScoredModel } from './score';

export type RunStatus = ReplayRunStatus;

export async function insertRun(store: TraceStore, run: { id: string; kind: string; started: string; settings: unknown }): Promise<void> {
  store.assertWritable();
  await store.exclusive(() => store.conn.run(
    `INSERT INTO runs (id, kind, started, status, settings) VALUES (${literal(run.id)}, ${literal(run.kind)}, ${literal(run.started)}::TIMESTAMPTZ, 'running', ${literal(JSON.stringify(run.settings))})`,
  ));
}

export async function finishRun(store: TraceStore, id: string, end: { ended: string; status: RunStatus; results: unknown; gates: GateResult[] | null }): Promise<void> {
  await store.exclusive(() => store.conn.run(
    `UPDATE runs SET ended = ${literal(end.ended)}::TIMESTAMPTZ, status = ${literal(end.status)}, results = ${end.results === null ? 'NULL' : literal(JSON.stringify(end.results))}, gates = ${end.gates ? literal(JSON.stringify(end.gates)) : 'NULL'} WHERE id = ${literal(id)}`,
  ));
}

/** Removes the replayed predictions a run logged (a cancelled run keeps none). */
export async function dropReplayPredictions(store: TraceStore, runId: string): Promise<void> {
  await store.exclusive(() => store.conn.run(`DELETE FROM predictions WHERE source = ${literal(`replay:${runId}`)}`));
}

/** Ids of the replayed predictions (UUIDv7), one per row and model, in `sl_ids`. */
export async function createIds(conn: DuckDBConnection, models: ScoredModel[]): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE sl_ids AS SELECT __row, ${['b', 'c'].map((p) => (models.some((m) => m.prefix === p) ? `uuidv7() AS id_${p}` : `NULL::UUID AS id_${p}`)).join(', ')} FROM sl_scores`);
}

/** Records the models and their feature columns in the trace, then inserts each model's replayed predictions. */
export async function logReplayPredictions(
  conn: DuckDBConnection,
  store: TraceStore,
  opts: { runId: string; models: ScoredModel[]; features: InputColumn[]; attributes: InputColumn[]; threshold: number | null },
): Promise<number> {
  const featureNames = new Set(opts.features.map((f) => f.name));
  for (const { model } of opts.models) {
    await store.upsertModel({ id: model.id, name: model.name, version: model.version, path: model.path, inputs: model.opened.inputs, outputs: model.opened.outputs, card: model.card });
  }
  await store.ensureFeatureColumns([
    ...opts.models.flatMap(({ model }) => model.layout.features.map((f) => ({ name: f.name, kind: f.kind }))),
    ...opts.attributes.filter((a) => !featureNames.has(a.name)).map((a) => ({ name: a.name, kind: 'attribute' as const })),
  ]);
  const statements: string[] = [];
  for (const m of opts.models) {
    const p = m.prefix;
    const cols: string[] = ['id', 'time', 'model_id', 'model_name', 'model_version', 'request_id', 'join_key', 'source', 'execution_provider', 'latency_ms', 'score', 'label_pred', 'outputs'];
    const vals: string[] = [
      `r.id_${p}`, 'coalesce(r.__time, now())', literal(m.model.id), literal(m.model.name), literal(m.model.version), literal(opts.runId), 'r.__key',
      literal(`replay:${opts.runId}`), literal(m.model.provider), 'NULL', `r.${p}_score`,
      opts.threshold === null ? `r.${p}_label` : `coalesce(r.${p}_label, CASE WHEN r.${p}_score >= ${doubleLiteral(opts.threshold)} THEN '1' WHEN r.${p}_score IS NOT NULL THEN '0' END)`,
      `json_object(${literal(m.plan.score)}, r.${p}_score${m.plan.label ? `, ${literal(m.plan.label)}, r.${p}_label` : ''})`,
    ];
    for (const f of m.model.layout.features) {
      const col = store.featureColumn(f.name, f.kind);
      if (!col) continue;
      cols.push(col.column);
      vals.push(`CAST(r.${ident(f.name)} AS ${col.sqlType})`);
    }
    for (const a of opts.attributes) {
      if (m.model.layout.features.some((f) => f.name === a.name)) continue;
      const col = store.featureColumn(a.name, 'attribute');
      if (!col) continue;
      cols.push(col.column);
      vals.push(`CAST(r.${ident(a.name)} AS VARCHAR)`);
    }
    statements.push(`INSERT INTO predictions (${cols.map((c) => ident(c)).join(', ')}) SELECT ${vals.join(', ')} FROM sl_rows AS r`);
  }
  // Every model's rows in one transaction: one commit (one WAL write and sync) instead of one per
  // model, and a failed run never leaves one model's rows without the other's.
  return store.exclusive(async () => {
    let inserted = 0;
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const sql of statements) inserted += Number((await conn.run(sql)).rowsChanged);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    return inserted;
  });
}
