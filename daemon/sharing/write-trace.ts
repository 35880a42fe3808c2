import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import path from 'node:path';
import { ident, literal } from '../store/sql';
import { TraceStore } from '../store/trace-store';
import { hmacMacroSql } from './hash-key';
import type { ExportPlan, StoredRow } from './export-plan';
import { selectionSql } from './selection';
import { CORE_TABLES, LINEAGE_TABLES, assertBaseTables } from './source';

/** The source trace, attached read-only to the connection that writes the export. */
const SRC = 'sightline_export_source';

export interface WrittenCounts {
  predictions: number;
  labels: number;
  models: number;
  findings: number;
  component_runs: number;
  artifacts: number;
  baselines: number;
  runs: number;
}

/**
 * Writes the planned subset into a NEW trace file `out` (same schema version, same tables).
 * The file is created with the store's own schema (so it opens like any trace), then filled by a
 * connection that attached the source READ_ONLY and then disabled external access and locked
 * its configuration: nothing in the source (views, macros) can read or write local files, and
 * only stored rows are copied. Hashing runs in SQL through a TEMP macro (the key never reaches
 * the file); feature columns are renumbered densely in the order they were added.
 */
export async function writeTrace(plan: ExportPlan, out: string): Promise<WrittenCounts> {
  const created = await TraceStore.open(out);
  const columnOf = new Map<string, string>();
  try {
    await created.ensureFeatureColumns(plan.features.map((f) => ({ name: f.feature, kind: f.kind })));
    for (const f of plan.features) columnOf.set(f.source.column, created.featureColumn(f.feature, f.kind)!.column);
  } finally {
    created.close();
  }

  const db = await DuckDBInstance.create(out, { autoload_known_extensions: 'false', autoinstall_known_extensions: 'false' });
  const conn = await db.connect();
  try {
    await conn.run(`ATTACH ${literal(path.resolve(plan.request.source))} AS ${SRC} (READ_ONLY)`);
    await conn.run(`SET enable_external_access = false`);
    await conn.run(`SET lock_configuration = true`);
    await assertBaseTables(conn, SRC, CORE_TABLES, plan.request.source);
    if (plan.request.key) await conn.run(hmacMacroSql(plan.request.key));
    await conn.run(`CREATE TEMP TABLE sel AS ${selectionSql(plan.request.selection, `${SRC}.predictions`)}`);
    await conn.run('BEGIN TRANSACTION');
    try {
      const counts = await copyRows(conn, plan, columnOf);
      await conn.run('COMMIT');
      await conn.run('CHECKPOINT');
      return counts;
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function copyRows(conn: DuckDBConnection, plan: ExportPlan, columnOf: Map<string, string>): Promise<WrittenCounts> {
  const r = plan.redaction;
  const redact = (expr: string, action: 'drop' | 'hash' | undefined): string => (action === 'drop' ? 'NULL' : action === 'hash' ? `sightline_hmac(${expr})` : expr);
  const n = async (sql: string): Promise<number> => Number((await conn.runAndReadAll(sql)).getRowObjectsJS()[0]?.n ?? 0);

  // predictions: every fixed column both files have (later additive columns travel too), the
  // redactable ones redacted, the kept features under their new generated names
  const names = async (catalog: string): Promise<string[]> => (await conn.runAndReadAll(
    `SELECT column_name FROM information_schema.columns WHERE table_catalog = ${literal(catalog)} AND table_schema = 'main' AND table_name = 'predictions' ORDER BY ordinal_position`,
  )).getRowObjectsJS().map((x) => String(x.column_name)).filter((c) => !/^[fa]_\d+$/.test(c));
  const outCatalog = String((await conn.runAndReadAll('SELECT current_database() AS d')).getRowObjectsJS()[0]!.d);
  const srcCols = new Set(await names(SRC));
  const special = new Set(['request_id', 'join_key', 'raw']);
  const cols = (await names(outCatalog)).filter((c) => srcCols.has(c) && !special.has(c));
  const target = [...cols, 'request_id', 'join_key', 'raw'];
  const exprs = [...cols.map((c) => `p.${ident(c)}`), redact('p.request_id', r.fixed.get('request_id')), redact('p.join_key', r.fixed.get('join_key')), rawExpr(plan)];
  for (const f of plan.features) {
    target.push(columnOf.get(f.source.column)!);
    exprs.push(f.hash ? `sightline_hmac(p.${ident(f.source.column)})` : `p.${ident(f.source.column)}`);
  }
  await conn.run(`INSERT INTO predictions (${target.map(ident).join(', ')}) SELECT ${exprs.join(', ')} FROM ${SRC}.predictions p WHERE p.id IN (SELECT id FROM sel)`);

  // labels: by prediction id; by join key (re-linked to the prediction when the key is dropped)
  const jk = r.fixed.get('join_key');
  const labelCols = '(prediction_id, join_key, value, value_text, time, source)';
  await conn.run(`INSERT INTO labels ${labelCols} SELECT l.prediction_id, ${redact('l.join_key', jk)}, l.value, l.value_text, l.time, l.source FROM ${SRC}.labels l WHERE l.prediction_id IN (SELECT id FROM sel)`);
  if (jk === 'drop') {
    await conn.run(`INSERT INTO labels ${labelCols} SELECT s.id, NULL, l.value, l.value_text, l.time, l.source FROM ${SRC}.labels l JOIN sel s ON l.join_key = s.join_key WHERE l.prediction_id IS NULL`);
  } else {
    await conn.run(`INSERT INTO labels ${labelCols} SELECT NULL, ${redact('l.join_key', jk)}, l.value, l.value_text, l.time, l.source FROM ${SRC}.labels l WHERE l.prediction_id IS NULL AND l.join_key IN (SELECT join_key FROM sel WHERE join_key IS NOT NULL)`);
  }

  // models
  if (plan.models.length) await conn.run(`INSERT INTO models BY NAME SELECT * FROM ${SRC}.models WHERE id IN (${plan.models.map((m) => literal(m.id)).join(', ')})`);

  // findings and replay/eval runs (already scrubbed in JS: they are small)
  for (const f of plan.findings) {
    await conn.run(`INSERT INTO findings (id, time, kind, feature, model_name, score, threshold, metric, baseline, window_desc, details) VALUES (
      ${lit(f.id)}, ${lit(f.time)}::TIMESTAMPTZ, ${lit(f.kind)}, ${lit(f.feature)}, ${lit(f.model_name)}, ${num(f.score)}, ${num(f.threshold)}, ${lit(f.metric)}, ${lit(f.baseline)}, ${lit(f.window_desc)}, ${jsonLit(f.details)})`);
  }
  for (const run of plan.runs) {
    await conn.run(`INSERT INTO runs (id, kind, started, ended, status, settings, results, gates) VALUES (
      ${lit(run.id)}, ${lit(run.kind)}, ${lit(run.started)}::TIMESTAMPTZ, ${lit(run.ended)}::TIMESTAMPTZ, ${lit(run.status)}, ${jsonLit(run.settings)}, ${jsonLit(run.results)}, ${jsonLit(run.gates)})`);
  }

  // lineage of the exported models
  if (plan.lineage) {
    await assertBaseTables(conn, SRC, LINEAGE_TABLES, plan.request.source);
    const runs = inList(plan.lineage.runs);
    const arts = inList(plan.lineage.artifacts);
    await conn.run(`INSERT INTO component_runs BY NAME SELECT * FROM ${SRC}.component_runs WHERE id IN ${runs}`);
    await conn.run(`INSERT INTO artifacts BY NAME SELECT * FROM ${SRC}.artifacts WHERE id IN ${arts}`);
    await conn.run(`INSERT INTO run_io BY NAME SELECT * FROM ${SRC}.run_io WHERE run_id IN ${runs} AND artifact_id IN ${arts}`);
    await conn.run(`INSERT INTO components BY NAME SELECT * FROM ${SRC}.components WHERE name IN (SELECT DISTINCT component FROM component_runs)`);
    await conn.run(`INSERT INTO flags BY NAME SELECT * FROM ${SRC}.flags WHERE (target_kind = 'run' AND target_id IN ${runs}) OR (target_kind = 'artifact' AND target_id IN ${arts})
      OR (target_kind = 'prediction' AND target_id IN (SELECT id::VARCHAR FROM sel))`);
  }

  // baselines (--with-baselines): their rows, redacted by column name
  for (const { table, row } of plan.baselines) {
    await assertBaseTables(conn, SRC, [table.table], plan.request.source);
    const select = table.columns
      .filter((c) => r.baseline.get(c.name) !== 'drop')
      .map((c) => (r.baseline.get(c.name) === 'hash' ? `sightline_hmac(${ident(c.name)}) AS ${ident(c.name)}` : ident(c.name)));
    await conn.run(`CREATE TABLE ${ident(table.table)} AS SELECT ${select.join(', ')} FROM ${SRC}.${ident(table.table)}`);
    await conn.run(`INSERT INTO baselines (name, source, table_name, rows, created, profile) VALUES (${lit(row.name)}, ${lit(row.source)}, ${lit(row.table_name)}, ${num(row.rows)}, ${lit(row.created)}::TIMESTAMPTZ, ${jsonLit(row.profile)})`);
  }

  const meta: [string, string][] = [
    ['exported_from', path.basename(plan.request.source)],
    ['exported_at', new Date().toISOString()],
    ['export_selection', JSON.stringify(plan.request.selection)],
    ['export_redactions', JSON.stringify(plan.redaction.specs)],
  ];
  for (const [k, v] of meta) await conn.run(`INSERT INTO meta VALUES (${literal(k)}, ${literal(v)}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);

  return {
    predictions: await n('SELECT count(*)::BIGINT AS n FROM predictions'),
    labels: await n('SELECT count(*)::BIGINT AS n FROM labels'),
    models: await n('SELECT count(*)::BIGINT AS n FROM models'),
    findings: plan.findings.length,
    component_runs: await n('SELECT count(*)::BIGINT AS n FROM component_runs'),
    artifacts: await n('SELECT count(*)::BIGINT AS n FROM artifacts'),
    baselines: plan.baselines.length,
    runs: plan.runs.length,
  };
}

/** `raw` with redacted top-level keys removed (drop) or replaced by their HMAC (hash), via JSON merge patch. */
function rawExpr(plan: ExportPlan): string {
  const entries = [...plan.redaction.raw];
  if (entries.length === 0) return 'p.raw';
  const patch = entries.map(([k, a]) => `${literal(k)}, ${a === 'drop' ? 'NULL::VARCHAR' : `sightline_hmac(p.raw ->> ${literal(k)})`}`).join(', ');
  return `CASE WHEN p.raw IS NOT NULL AND json_type(p.raw) = 'OBJECT' THEN json_merge_patch(p.raw, json_object(${patch})) ELSE p.raw END`;
}

function inList(ids: string[]): string {
  return ids.length ? `(${ids.map(literal).join(', ')})` : '(NULL)';
}

function lit(v: unknown): string {
  return v === null || v === undefined ? 'NULL' : literal(String(v));
}

function num(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const x = Number(v);
  return Number.isFinite(x) ? `'${String(x)}'::DOUBLE` : 'NULL';
}

function jsonLit(v: unknown): string {
  return v === null || v === undefined ? 'NULL' : literal(typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v));
}

export type { StoredRow };
