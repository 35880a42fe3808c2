import { existsSync, statSync } from 'node:fs';
import { SightlineError, type RetentionResult } from '../../protocol';
import { ident, literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import { findingWindowEnd, retentionCutoff } from './cutoff';
import { mentionsInExamples } from './scrub';
import { baselineTables } from './source';

type Deleted = RetentionResult['deleted'];

/**
 * Retention on a writable trace (the daemon's, or a file no daemon holds). Deletions run in one
 * transaction on the store's serialised connection (no append interleaves); then VACUUM and a
 * CHECKPOINT let DuckDB reuse the freed blocks. Freed blocks are not zeroed: rewriting the file
 * (compact.ts) is what removes deleted bytes from disk.
 */
export async function pruneTrace(store: TraceStore, req: { older_than?: string | undefined; before?: string | undefined; dry_run?: boolean }, now: Date = new Date()): Promise<RetentionResult> {
  store.assertWritable();
  const cutoff = retentionCutoff(req, now);
  const ts = `${literal(cutoff.toISOString())}::TIMESTAMPTZ`;
  const before = bytes(store.path);
  const deleted = await inTransaction(store, Boolean(req.dry_run), async () => {
    await store.conn.run(`CREATE OR REPLACE TEMP TABLE sightline_gone AS SELECT id FROM predictions WHERE time < ${ts}`);
    const findings = (await store.query<{ id: string; t: number; window_desc: string | null }>(`SELECT id, epoch_ms(time)::DOUBLE AS t, window_desc FROM findings`))
      .filter((f) => findingWindowEnd(f.window_desc, new Date(Number(f.t))).getTime() <= cutoff.getTime())
      .map((f) => String(f.id));
    return {
      flags: await changed(store, `DELETE FROM flags WHERE target_kind = 'prediction' AND target_id IN (SELECT id::VARCHAR FROM sightline_gone)`),
      // Labels that arrived before the cutoff, and labels of pruned predictions (by id, or by a
      // join key no remaining prediction has).
      labels: await changed(store, `DELETE FROM labels WHERE time < ${ts} OR prediction_id IN (SELECT id FROM sightline_gone)
        OR (prediction_id IS NULL AND join_key IN (SELECT join_key FROM predictions WHERE time < ${ts} AND join_key IS NOT NULL)
            AND join_key NOT IN (SELECT join_key FROM predictions WHERE time >= ${ts} AND join_key IS NOT NULL))`),
      predictions: await changed(store, `DELETE FROM predictions WHERE id IN (SELECT id FROM sightline_gone)`),
      findings: findings.length ? await changed(store, `DELETE FROM findings WHERE id IN (${findings.map(literal).join(', ')})`) : 0,
      baseline_rows: 0,
    };
  });
  return result(store, 'prune', req.dry_run, cutoff.toISOString(), deleted, [], before);
}

/**
 * GDPR-style erasure of a subject: their predictions (by join key), their labels (by join key or
 * by the deleted predictions' ids), flags on those predictions, findings whose examples mention a
 * key or one of those prediction ids, and — with `baseline_column` — baseline rows with that key.
 */
export async function forgetKeys(store: TraceStore, req: { keys: string[]; baseline_column?: string | undefined; dry_run?: boolean }): Promise<RetentionResult> {
  store.assertWritable();
  const keys = [...new Set(req.keys)];
  if (keys.length === 0) throw new SightlineError('invalid_request', 'give at least one --key');
  const list = `(SELECT unnest([${keys.map(literal).join(', ')}]::VARCHAR[]) AS k)`;
  const before = bytes(store.path);
  const baselines = req.baseline_column ? (await baselineTables(store)).filter((b) => b.columns.some((c) => c.name === req.baseline_column)) : [];
  if (req.baseline_column && baselines.length === 0) throw new SightlineError('invalid_request', `--baseline-column ${req.baseline_column}: no baseline table has that column`);
  let notFound: string[] = [];
  const deleted = await inTransaction(store, Boolean(req.dry_run), async () => {
    await store.conn.run(`CREATE OR REPLACE TEMP TABLE sightline_keys AS SELECT k FROM ${list}`);
    await store.conn.run(`CREATE OR REPLACE TEMP TABLE sightline_gone AS SELECT id FROM predictions WHERE join_key IN (SELECT k FROM sightline_keys)`);
    notFound = (await store.query<{ k: string }>(
      `SELECT k FROM sightline_keys WHERE k NOT IN (SELECT join_key FROM predictions WHERE join_key IS NOT NULL) AND k NOT IN (SELECT join_key FROM labels WHERE join_key IS NOT NULL) ORDER BY k`,
    )).map((r) => String(r.k));
    const mentions = new Set([...keys, ...(await store.query<{ id: string }>(`SELECT id::VARCHAR AS id FROM sightline_gone`)).map((r) => String(r.id))]);
    const findings = (await store.query<{ id: string; details: string | null }>(`SELECT id, details::VARCHAR AS details FROM findings`))
      .filter((f) => f.details !== null && mentionsInExamples(safeParse(f.details), mentions))
      .map((f) => String(f.id));
    let baselineRows = 0;
    for (const b of baselines) baselineRows += await changed(store, `DELETE FROM ${ident(b.table)} WHERE CAST(${ident(req.baseline_column!)} AS VARCHAR) IN (SELECT k FROM sightline_keys)`);
    return {
      flags: await changed(store, `DELETE FROM flags WHERE target_kind = 'prediction' AND target_id IN (SELECT id::VARCHAR FROM sightline_gone)`),
      labels: await changed(store, `DELETE FROM labels WHERE join_key IN (SELECT k FROM sightline_keys) OR prediction_id IN (SELECT id FROM sightline_gone)`),
      predictions: await changed(store, `DELETE FROM predictions WHERE id IN (SELECT id FROM sightline_gone)`),
      findings: findings.length ? await changed(store, `DELETE FROM findings WHERE id IN (${findings.map(literal).join(', ')})`) : 0,
      baseline_rows: baselineRows,
    };
  });
  const notes = baselines.length ? [`baseline profiles of ${baselines.map((b) => b.name).join(', ')} were computed with the deleted rows; re-add the baseline to refresh them`] : [];
  return result(store, 'forget', req.dry_run, null, deleted, notFound, before, notes);
}

async function inTransaction(store: TraceStore, dryRun: boolean, body: () => Promise<Deleted>): Promise<Deleted> {
  const deleted = await store.exclusive(async () => {
    await store.conn.run('BEGIN TRANSACTION');
    try {
      const d = await body();
      await store.conn.run(dryRun ? 'ROLLBACK' : 'COMMIT');
      return d;
    } catch (err) {
      await store.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await store.conn.run('DROP TABLE IF EXISTS sightline_gone').catch(() => undefined);
      await store.conn.run('DROP TABLE IF EXISTS sightline_keys').catch(() => undefined);
    }
  });
  if (!dryRun) {
    await store.exclusive(async () => {
      // VACUUM is accepted (and cheap) on DuckDB; the CHECKPOINT is what frees the blocks for reuse.
      await store.conn.run('VACUUM').catch(() => undefined);
      await store.conn.run('CHECKPOINT');
    });
  }
  return deleted;
}

async function changed(store: TraceStore, sql: string): Promise<number> {
  const r = await store.conn.runAndReadAll(sql);
  return Number(r.getRowObjectsJS()[0]?.Count ?? r.rowsChanged ?? 0);
}

function result(store: TraceStore, action: RetentionResult['action'], dryRun: boolean | undefined, cutoff: string | null, deleted: Deleted, notFound: string[], before: number, notes: string[] = []): RetentionResult {
  return {
    trace: store.path, action, dry_run: Boolean(dryRun), cutoff, deleted, keys_not_found: notFound,
    bytes_before: before, bytes_after: bytes(store.path), compacted: false, notes,
  };
}

function bytes(file: string): number {
  return file !== ':memory:' && existsSync(file) ? statSync(file).size : 0;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
