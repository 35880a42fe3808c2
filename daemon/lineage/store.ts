/**
 * SQL access to the lineage tables of a trace file: writes (a run with its artifacts, flags,
 * the model → training run link), each in one transaction on the store's serialised connection,
 * and reads into a LineageIndex. A trace written before lineage existed has no such tables; read-only
 * readers then see empty lineage.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ArtifactRef, RunRecord } from '../../protocol';
import type { TraceStore } from '../store/trace-store';
import { literal } from '../store/sql';
import type { PredictionInfo } from './graph';
import type { ModelCounts } from './review';
import type { ArtifactRow, FlagRow, IoRow, LineageData, ModelRow, RunRow } from './snapshot';

const LINEAGE_TABLES = ['components', 'component_runs', 'artifacts', 'run_io', 'flags'];

export interface StoredRun {
  id: string;
  duplicate: boolean;
  inputs: string[];
  outputs: string[];
  linkedModels: string[];
}

type Row = Record<string, unknown>;

export class LineageStore {
  private tablesPresent: boolean | null = null;

  constructor(readonly trace: TraceStore) {}

  /** False for a read-only trace written before the lineage tables existed. */
  async hasTables(): Promise<boolean> {
    if (this.tablesPresent === true) return true;
    const rows = await this.trace.query<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_schema = 'main' AND table_name IN (${LINEAGE_TABLES.map(literal).join(', ')})`,
    );
    this.tablesPresent = Number(rows[0]?.n ?? 0) === LINEAGE_TABLES.length;
    return this.tablesPresent;
  }

  /** Runs `fn` in one transaction with exclusive use of the connection; rolls back on error. */
  private transaction<T>(fn: () => Promise<T>): Promise<T> {
    this.trace.assertWritable();
    return this.trace.exclusive(async () => {
      await this.trace.conn.run('BEGIN TRANSACTION');
      try {
        const out = await fn();
        await this.trace.conn.run('COMMIT');
        return out;
      } catch (err) {
        await this.trace.conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async rows(sql: string): Promise<Row[]> {
    return (await this.trace.conn.runAndReadAll(sql)).getRowObjectsJson() as Row[];
  }

  /** Stores one validated run; a run id already present changes nothing (`duplicate`). */
  insertRun(run: RunRecord, id: string, times: { start: number; end: number }): Promise<StoredRun> {
    return this.transaction(async () => {
      const exists = await this.rows(`SELECT 1 FROM component_runs WHERE id = ${literal(id)}`);
      if (exists.length > 0) return { id, duplicate: true, inputs: [], outputs: [], linkedModels: [] };

      const meta = run.owner !== undefined || run.tags !== undefined || run.description !== undefined;
      await this.trace.conn.run(
        `INSERT INTO components (name, owner, tags, description) VALUES (${literal(run.component)}, ${opt(run.owner)}, ${run.tags ? literal(JSON.stringify(run.tags)) : 'NULL'}, ${opt(run.description)})
         ON CONFLICT (name) DO ${meta ? 'UPDATE SET owner = coalesce(excluded.owner, components.owner), tags = coalesce(excluded.tags, components.tags), description = coalesce(excluded.description, components.description)' : 'NOTHING'}`,
      );
      await this.trace.conn.run(
        `INSERT INTO component_runs (id, component, "start", "end", status, git_commit, git_dirty, code_file, code_line, params, metrics, notes) VALUES (
           ${literal(id)}, ${literal(run.component)}, ${ts(times.start)}, ${ts(times.end)}, ${literal(run.status)},
           ${opt(run.git_commit)}, ${run.git_dirty === null || run.git_dirty === undefined ? 'NULL' : String(run.git_dirty)},
           ${opt(run.code_file)}, ${run.code_line ?? 'NULL'}, ${literal(JSON.stringify(run.params))}, ${literal(JSON.stringify(run.metrics))}, ${opt(run.notes)})`,
      );

      // Artifacts: one row per (name, uri, content); created = when it was first known to exist.
      const artifacts = new Map<string, { ref: ArtifactRef & { kind: string }; created: number }>();
      const io: { artifactId: string; direction: 'input' | 'output' }[] = [];
      const add = (ref: ArtifactRef & { kind: string }, direction: 'input' | 'output', created: number): string => {
        const aid = artifactId(ref);
        const prev = artifacts.get(aid);
        if (!prev || created < prev.created) artifacts.set(aid, { ref: prev?.ref ?? ref, created });
        io.push({ artifactId: aid, direction });
        return aid;
      };
      const inputs = run.inputs.map((a) => add(a, 'input', times.start));
      const outputs = run.outputs.map((a) => add(a, 'output', times.end));
      if (artifacts.size > 0) {
        const values = [...artifacts].map(([aid, { ref, created }]) =>
          `(${literal(aid)}, ${literal(ref.name)}, ${literal(ref.kind)}, ${opt(ref.uri)}, ${opt(ref.content_hash)}, ${ref.size ?? 'NULL'}, ${ts(created)})`);
        await this.trace.conn.run(
          `INSERT INTO artifacts (id, name, kind, uri, content_hash, size, created) VALUES ${values.join(', ')}
           ON CONFLICT (id) DO UPDATE SET created = least(artifacts.created, excluded.created), size = coalesce(artifacts.size, excluded.size)`,
        );
        const ioValues = [...new Set(io.map((x) => `(${literal(id)}, ${literal(x.artifactId)}, ${literal(x.direction)})`))];
        await this.trace.conn.run(`INSERT INTO run_io (run_id, artifact_id, direction) VALUES ${ioValues.join(', ')} ON CONFLICT DO NOTHING`);
      }

      const hashes = [...new Set(run.outputs.map((o) => o.content_hash).filter((h): h is string => typeof h === 'string'))];
      const linkedModels: string[] = [];
      if (hashes.length > 0) {
        const models = await this.rows(`SELECT id FROM models WHERE id IN (${hashes.map(literal).join(', ')})`);
        for (const m of models) {
          await this.updateModelLink(String(m.id));
          linkedModels.push(String(m.id));
        }
      }
      return { id, duplicate: false, inputs, outputs, linkedModels };
    });
  }

  /**
   * Sets `models.training_run_id` to the run that wrote the model's bytes (the latest writer, as
   * the trace resolves it). Returns the run id, or null when no logged run wrote them.
   */
  async linkModel(modelId: string): Promise<string | null> {
    if (!(await this.hasTables())) return null;
    return this.transaction(() => this.updateModelLink(modelId));
  }

  private async updateModelLink(modelId: string): Promise<string | null> {
    const rows = await this.rows(
      `SELECT r.id FROM run_io io JOIN artifacts a ON a.id = io.artifact_id JOIN component_runs r ON r.id = io.run_id
       WHERE io.direction = 'output' AND a.content_hash = ${literal(modelId)}
       ORDER BY coalesce(r."end", r."start") DESC, r.id DESC LIMIT 1`,
    );
    const runId = rows[0] ? String(rows[0].id) : null;
    if (runId) await this.trace.conn.run(`UPDATE models SET training_run_id = ${literal(runId)} WHERE id = ${literal(modelId)}`);
    return runId;
  }

  insertFlags(kind: FlagRow['target_kind'], ids: string[], reason: string | null, source: string): Promise<number> {
    return this.transaction(async () => {
      const now = Date.now();
      for (let i = 0; i < ids.length; i += 5000) {
        const values = ids.slice(i, i + 5000).map((t) => `(${literal(kind)}, ${literal(t)}, ${opt(reason)}, ${ts(now)}, ${literal(source)})`);
        await this.trace.conn.run(`INSERT INTO flags (target_kind, target_id, reason, time, source) VALUES ${values.join(', ')}`);
      }
      return ids.length;
    });
  }

  /** Index of the first prediction id (canonical UUID text) that is not in the trace, or -1. */
  async firstMissingPrediction(ids: string[]): Promise<number> {
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      const values = chunk.map((id, j) => `(${i + j}, ${literal(id)}::UUID)`).join(', ');
      const rows = await this.trace.query<{ i: number }>(
        `SELECT v.i::INTEGER AS i FROM (VALUES ${values}) v(i, id) WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.id = v.id) ORDER BY v.i LIMIT 1`,
      );
      if (rows[0]) return Number(rows[0].i);
    }
    return -1;
  }

  async findPrediction(id: string): Promise<PredictionInfo | null> {
    const rows = await this.trace.query(
      `SELECT id::VARCHAR AS id, epoch_ms(time)::DOUBLE AS t, model_id, model_name, model_version, score, label_pred, source FROM predictions WHERE id = ${literal(id)}::UUID LIMIT 1`,
    );
    const r = rows[0];
    if (!r) return null;
    const flags = (await this.hasTables())
      ? (await this.trace.query(`SELECT target_kind, target_id, reason, epoch_ms(time)::DOUBLE AS t, source FROM flags WHERE target_kind = 'prediction' AND target_id = ${literal(id)} ORDER BY time`)).map(flagRow)
      : [];
    return {
      id: String(r.id), time: Number(r.t), model_id: String(r.model_id), model: String(r.model_name), version: String(r.model_version),
      score: r.score === null || r.score === undefined ? null : Number(r.score), label: r.label_pred === null || r.label_pred === undefined ? null : String(r.label_pred),
      source: String(r.source), flags,
    };
  }

  /** Predictions per model, and how many of them carry at least one flag. */
  async modelCounts(): Promise<ModelCounts[]> {
    const flagged = (await this.hasTables())
      ? `count(*) FILTER (WHERE p.id IN (SELECT TRY_CAST(target_id AS UUID) FROM flags WHERE target_kind = 'prediction'))`
      : '0';
    const rows = await this.trace.query(
      `SELECT p.model_id, any_value(p.model_name) AS model_name, any_value(p.model_version) AS model_version, count(*)::DOUBLE AS total, (${flagged})::DOUBLE AS flagged
       FROM predictions p GROUP BY p.model_id ORDER BY p.model_id`,
    );
    return rows.map((r) => ({ model_id: String(r.model_id), model_name: String(r.model_name), model_version: String(r.model_version), total: Number(r.total), flagged: Number(r.flagged) }));
  }

  /** The lineage tables (and models) in memory; flags on runs and artifacts only. */
  async load(): Promise<LineageData> {
    const models = (await this.trace.query(
      `SELECT id, name, version, path, epoch_ms(first_seen)::DOUBLE AS first_seen, training_run_id, card::VARCHAR AS card FROM models`,
    )).map((r): ModelRow => ({
      id: String(r.id), name: String(r.name), version: String(r.version), path: str(r.path),
      first_seen: r.first_seen === null || r.first_seen === undefined ? null : Number(r.first_seen), training_run_id: str(r.training_run_id),
      features: cardFeatures(r.card),
    }));
    if (!(await this.hasTables())) return { runs: [], artifacts: [], io: [], models, flags: [] };
    const runs = (await this.trace.query(
      `SELECT id, component, epoch_ms("start")::DOUBLE AS s, epoch_ms("end")::DOUBLE AS e, status, git_commit, git_dirty, code_file, code_line::DOUBLE AS code_line, params::VARCHAR AS params, metrics::VARCHAR AS metrics, notes FROM component_runs`,
    )).map((r): RunRow => ({
      id: String(r.id), component: String(r.component), start: Number(r.s), end: r.e === null || r.e === undefined ? null : Number(r.e),
      status: String(r.status), git_commit: str(r.git_commit), git_dirty: r.git_dirty === null || r.git_dirty === undefined ? null : Boolean(r.git_dirty),
      code_file: str(r.code_file), code_line: r.code_line === null || r.code_line === undefined ? null : Number(r.code_line),
      params: parseObject(r.params), metrics: parseObject(r.metrics) as Record<string, number>, notes: str(r.notes),
    }));
    const artifacts = (await this.trace.query(
      `SELECT id, name, kind, uri, content_hash, size::DOUBLE AS size, epoch_ms(created)::DOUBLE AS created FROM artifacts`,
    )).map((r): ArtifactRow => ({
      id: String(r.id), name: String(r.name), kind: String(r.kind), uri: str(r.uri), content_hash: str(r.content_hash),
      size: r.size === null || r.size === undefined ? null : Number(r.size), created: Number(r.created),
    }));
    const io = (await this.trace.query(`SELECT run_id, artifact_id, direction FROM run_io`)).map((r): IoRow => ({
      run_id: String(r.run_id), artifact_id: String(r.artifact_id), direction: r.direction === 'output' ? 'output' : 'input',
    }));
    const flags = (await this.trace.query(
      `SELECT target_kind, target_id, reason, epoch_ms(time)::DOUBLE AS t, source FROM flags WHERE target_kind IN ('run', 'artifact') ORDER BY time`,
    )).map(flagRow);
    return { runs, artifacts, io, models, flags };
  }

  async flaggedTargets(): Promise<{ runs: string[]; artifacts: string[] }> {
    if (!(await this.hasTables())) return { runs: [], artifacts: [] };
    const rows = await this.trace.query(`SELECT DISTINCT target_kind, target_id FROM flags WHERE target_kind IN ('run', 'artifact') ORDER BY target_id`);
    return {
      runs: rows.filter((r) => r.target_kind === 'run').map((r) => String(r.target_id)),
      artifacts: rows.filter((r) => r.target_kind === 'artifact').map((r) => String(r.target_id)),
    };
  }
}

/**
 * An artifact's id: derived from (name, uri, content hash), so every run that names the same
 * content the same way shares one row; an artifact without a hash gets a row of its own per use.
 */
export function artifactId(ref: ArtifactRef): string {
  if (!ref.content_hash) return `a_${randomUUID().replace(/-/g, '')}`;
  return `a_${createHash('sha256').update(`${ref.name}\u0000${ref.uri ?? ''}\u0000${ref.content_hash}`).digest('hex').slice(0, 32)}`;
}

function flagRow(r: Row): FlagRow {
  return { target_kind: String(r.target_kind) as FlagRow['target_kind'], target_id: String(r.target_id), reason: str(r.reason), time: Number(r.t), source: str(r.source) };
}

function opt(v: string | null | undefined): string {
  return v === null || v === undefined ? 'NULL' : literal(v);
}

function ts(ms: number): string {
  return `make_timestamptz(${Math.round(ms * 1000)}::BIGINT)`;
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function parseObject(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined) return {};
  try {
    const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Feature names of a stored model card (JSON); none when it is missing or not a card. */
function cardFeatures(card: unknown): string[] {
  try {
    const features = (JSON.parse(String(card ?? 'null')) as { features?: unknown } | null)?.features;
    return Array.isArray(features) ? features.map((f) => (f as { name?: unknown }).name).filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}
