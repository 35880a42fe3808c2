import { createHash } from 'node:crypto';
import { LineageIndex, type ArtifactRow, type FlagRow, type IoRow, type ModelRow, type RunRow } from '../../../daemon/lineage/snapshot';

export const DAY = 86_400_000;
export const T0 = Date.UTC(2024, 0, 1);

export function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Lineage tables built by hand, for the pure lineage functions. */
export class Builder {
  runs: RunRow[] = [];
  artifacts = new Map<string, ArtifactRow>();
  io: IoRow[] = [];
  models: ModelRow[] = [];
  flags: FlagRow[] = [];

  /** An artifact version: same name and content share one row (as in the store). */
  artifact(name: string, content: string | null, created: number, kind = 'data'): ArtifactRow {
    const hash = content === null ? null : sha(content);
    const id = `a:${name}:${hash ?? this.artifacts.size}`;
    const prev = this.artifacts.get(id);
    if (prev) {
      prev.created = Math.min(prev.created, created);
      return prev;
    }
    const a: ArtifactRow = { id, name, kind, uri: null, content_hash: hash, size: null, created };
    this.artifacts.set(id, a);
    return a;
  }

  run(id: string, component: string, start: number, end: number, inputs: ArtifactRow[], outputs: ArtifactRow[], extra: Partial<RunRow> = {}): RunRow {
    const r: RunRow = { id, component, start, end, status: 'ok', git_commit: null, git_dirty: null, code_file: null, code_line: null, params: {}, metrics: {}, notes: null, ...extra };
    this.runs.push(r);
    for (const a of inputs) this.io.push({ run_id: id, artifact_id: a.id, direction: 'input' });
    for (const a of outputs) this.io.push({ run_id: id, artifact_id: a.id, direction: 'output' });
    return r;
  }

  model(content: string, name: string, version: string): ModelRow {
    const m: ModelRow = { id: sha(content), name, version, path: null, first_seen: null, training_run_id: null, features: [] };
    this.models.push(m);
    return m;
  }

  index(): LineageIndex {
    return new LineageIndex({ runs: this.runs, artifacts: [...this.artifacts.values()], io: this.io, models: this.models, flags: this.flags });
  }
}
