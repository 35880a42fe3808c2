/**
 * The lineage tables of a trace, in memory and indexed for the pure graph functions
 * (dependencies, trace graph, staleness, review). Times are epoch milliseconds.
 */

export interface RunRow {
  id: string;
  component: string;
  start: number;
  end: number | null;
  status: string;
  git_commit: string | null;
  git_dirty: boolean | null;
  code_file: string | null;
  code_line: number | null;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  notes: string | null;
}

export interface ArtifactRow {
  id: string;
  name: string;
  kind: string;
  uri: string | null;
  content_hash: string | null;
  size: number | null;
  created: number;
}

export interface IoRow {
  run_id: string;
  artifact_id: string;
  direction: 'input' | 'output';
}

export interface ModelRow {
  id: string;
  name: string;
  version: string;
  path: string | null;
  first_seen: number | null;
  training_run_id: string | null;
  /** The feature names of its model card: a feature's lineage is that of the models that use it. */
  features: string[];
}

export interface FlagRow {
  target_kind: 'prediction' | 'artifact' | 'run';
  target_id: string;
  reason: string | null;
  time: number;
  source: string | null;
}

export interface LineageData {
  runs: RunRow[];
  artifacts: ArtifactRow[];
  io: IoRow[];
  models: ModelRow[];
  /** Flags on runs and artifacts (prediction flags are looked up per prediction). */
  flags: FlagRow[];
}

/** A run together with one artifact it wrote. */
export interface Producer {
  run: RunRow;
  artifact: ArtifactRow;
}

export class LineageIndex {
  readonly runs = new Map<string, RunRow>();
  readonly artifacts = new Map<string, ArtifactRow>();
  readonly models = new Map<string, ModelRow>();
  private readonly inputs = new Map<string, ArtifactRow[]>();
  private readonly outputs = new Map<string, ArtifactRow[]>();
  private readonly producersByHash = new Map<string, Producer[]>();
  private readonly producersByName = new Map<string, Producer[]>();
  private readonly byName = new Map<string, ArtifactRow[]>();
  private readonly byHash = new Map<string, ArtifactRow[]>();
  private readonly flagsByTarget = new Map<string, FlagRow[]>();

  constructor(data: LineageData) {
    for (const r of data.runs) this.runs.set(r.id, r);
    for (const a of data.artifacts) {
      this.artifacts.set(a.id, a);
      push(this.byName, a.name, a);
      if (a.content_hash) push(this.byHash, a.content_hash, a);
    }
    for (const m of data.models) this.models.set(m.id, m);
    for (const io of data.io) {
      const run = this.runs.get(io.run_id);
      const artifact = this.artifacts.get(io.artifact_id);
      if (!run || !artifact) continue;
      if (io.direction === 'input') push(this.inputs, run.id, artifact);
      else {
        push(this.outputs, run.id, artifact);
        if (artifact.content_hash) push(this.producersByHash, artifact.content_hash, { run, artifact });
        push(this.producersByName, artifact.name, { run, artifact });
      }
    }
    for (const list of [...this.inputs.values(), ...this.outputs.values()]) list.sort((x, y) => x.name.localeCompare(y.name) || x.id.localeCompare(y.id));
    for (const f of data.flags) push(this.flagsByTarget, `${f.target_kind}:${f.target_id}`, f);
  }

  inputsOf(runId: string): ArtifactRow[] {
    return this.inputs.get(runId) ?? [];
  }

  outputsOf(runId: string): ArtifactRow[] {
    return this.outputs.get(runId) ?? [];
  }

  producersOfHash(hash: string): Producer[] {
    return this.producersByHash.get(hash) ?? [];
  }

  producersOfName(name: string): Producer[] {
    return this.producersByName.get(name) ?? [];
  }

  artifactsNamed(name: string): ArtifactRow[] {
    return this.byName.get(name) ?? [];
  }

  artifactsWithHash(hash: string): ArtifactRow[] {
    return this.byHash.get(hash) ?? [];
  }

  flagsOf(kind: FlagRow['target_kind'], id: string): FlagRow[] {
    return this.flagsByTarget.get(`${kind}:${id}`) ?? [];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** `train#1a2b3c4d`: how runs are named on a terminal. */
export function runLabel(run: Pick<RunRow, 'component' | 'id'>): string {
  return `${run.component}#${run.id.slice(0, 8)}`;
}

export function shortHash(hash: string | null | undefined): string {
  return hash ? hash.slice(0, 12) : '-';
}
