import type { TraceStore } from '../store/trace-store';
import { literal } from '../store/sql';
import { uuidv7 } from '../store/ids';

/** A result above its threshold, as stored in `findings` and pushed on the stream. */
export interface FindingRecord {
  kind: 'drift' | 'skew' | 'quality' | 'slice';
  feature: string | null;
  model_name: string | null;
  score: number | null;
  threshold: number | null;
  metric: string;
  baseline: string;
  window_desc: string;
  details: Record<string, unknown>;
}

export interface StoredFinding extends FindingRecord {
  id: string;
  time: string;
}

/**
 * Replaces the findings of one analysis (same kind, model and baseline) with the new ones, in
 * one transaction, so the editor never sees a half-written set.
 */
export async function replaceFindings(store: TraceStore, scope: { kind: FindingRecord['kind']; model_name: string | null; baseline: string }, findings: FindingRecord[]): Promise<StoredFinding[]> {
  store.assertWritable();
  const time = new Date().toISOString();
  const stored = findings.map((f) => ({ ...f, id: uuidv7().text, time }));
  await store.exclusive(async () => {
    await store.conn.run('BEGIN TRANSACTION');
    try {
      await store.conn.run(
        `DELETE FROM findings WHERE kind = ${literal(scope.kind)} AND baseline = ${literal(scope.baseline)} AND ${scope.model_name === null ? 'model_name IS NULL' : `model_name = ${literal(scope.model_name)}`}`,
      );
      for (const f of stored) {
        await store.conn.run(
          `INSERT INTO findings (id, time, kind, feature, model_name, score, threshold, metric, baseline, window_desc, details) VALUES (
            ${literal(f.id)}, ${literal(f.time)}::TIMESTAMPTZ, ${literal(f.kind)}, ${f.feature === null ? 'NULL' : literal(f.feature)}, ${f.model_name === null ? 'NULL' : literal(f.model_name)},
            ${num(f.score)}, ${num(f.threshold)}, ${literal(f.metric)}, ${literal(f.baseline)}, ${literal(f.window_desc)}, ${literal(JSON.stringify(f.details))})`,
        );
      }
      await store.conn.run('COMMIT');
    } catch (err) {
      await store.conn.run('ROLLBACK');
      throw err;
    }
  });
  return stored;
}

export async function listFindings(store: TraceStore, filter: { kind?: string; feature?: string } = {}): Promise<StoredFinding[]> {
  const where: string[] = [];
  if (filter.kind) where.push(`kind = ${literal(filter.kind)}`);
  if (filter.feature) where.push(`feature = ${literal(filter.feature)}`);
  const rows = await store.query<Record<string, unknown>>(
    `SELECT id, strftime(time, '%Y-%m-%dT%H:%M:%S.%gZ') AS time, kind, feature, model_name, score, threshold, metric, baseline, window_desc, details
     FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY kind, score DESC NULLS FIRST`,
  );
  return rows.map((r) => ({
    id: String(r.id), time: String(r.time), kind: r.kind as FindingRecord['kind'], feature: r.feature === null ? null : String(r.feature),
    model_name: r.model_name === null ? null : String(r.model_name), score: r.score === null ? null : Number(r.score),
    threshold: r.threshold === null ? null : Number(r.threshold), metric: String(r.metric), baseline: String(r.baseline), window_desc: String(r.window_desc),
    details: typeof r.details === 'string' ? (JSON.parse(r.details) as Record<string, unknown>) : ((r.details ?? {}) as Record<string, unknown>),
  }));
}

function num(v: number | null): string {
  return v === null || !Number.isFinite(v) ? 'NULL' : `'${String(v)}'::DOUBLE`;
}
