/**
 * The upstream graph of a prediction, model, run or artifact: prediction → model → the artifact
 * with the model's content hash → the run that wrote it → that run's inputs → the runs that wrote
 * those … down to raw data no logged run produced. Pure: works on a LineageIndex.
 */
import type { ArtifactNode, Flag, ModelNode, PredictionNode, RunNode, TraceEdge, TraceNode, TraceResult } from '../../protocol';
import { chooseProducer, resolveProducer, type Reader } from './dependencies';
import { DEFAULT_MAX_AGE_DAYS, staleReasons } from './staleness';
import type { ArtifactRow, FlagRow, LineageIndex, ModelRow, RunRow } from './snapshot';

export interface PredictionInfo {
  id: string;
  time: number;
  model_id: string;
  model: string;
  version: string;
  score: number | null;
  label: string | null;
  source: string;
  flags: FlagRow[];
}

export type TraceRoot =
  | { type: 'prediction'; prediction: PredictionInfo }
  | { type: 'model'; model: ModelRow }
  | { type: 'run'; run: RunRow }
  | { type: 'artifact'; artifact: ArtifactRow };

export const nodeKey = {
  prediction: (id: string) => `prediction:${id}`,
  model: (id: string) => `model:${id}`,
  run: (id: string) => `run:${id}`,
  artifact: (id: string) => `artifact:${id}`,
};

/** A loaded model reads its file when it is loaded, long after it was written: any writer of those bytes made it. */
const MODEL_READER: Reader = { runId: null, start: Number.POSITIVE_INFINITY };

/** The run whose output has the model's content hash (the training run of the model), if any. */
export function trainingRunOf(model: ModelRow, index: LineageIndex): { run: RunRow; artifact: ArtifactRow } | null {
  const picked = chooseProducer(MODEL_READER, index.producersOfHash(model.id));
  if (picked) return picked.chosen;
  return null;
}

export interface UpstreamWalk {
  nodes: Map<string, TraceNode>;
  edges: TraceEdge[];
  /** Shortest distance from the root. */
  depth: Map<string, number>;
  warnings: string[];
}

/** Walks upstream from `root` (breadth first; each node once, so shared ancestry is one node). */
export function walkUpstream(root: TraceRoot, index: LineageIndex, maxAgeDays = DEFAULT_MAX_AGE_DAYS): UpstreamWalk {
  const nodes = new Map<string, TraceNode>();
  const depth = new Map<string, number>();
  const edges: TraceEdge[] = [];
  const edgeKeys = new Set<string>();
  const warnings = new Set<string>();
  const queue: { key: string; expand: () => void }[] = [];

  const addEdge = (e: TraceEdge): void => {
    const k = `${e.from}|${e.to}|${e.relation}`;
    if (edgeKeys.has(k)) return;
    edgeKeys.add(k);
    edges.push(e);
  };
  const reach = (from: string | null, key: string, make: () => TraceNode, expand: () => void): void => {
    if (!nodes.has(key)) {
      nodes.set(key, make());
      depth.set(key, from === null ? 0 : depth.get(from)! + 1);
      queue.push({ key, expand });
    }
  };

  const visitRun = (from: string | null, run: RunRow, edge?: Omit<TraceEdge, 'from' | 'to'>): void => {
    const key = nodeKey.run(run.id);
    reach(from, key, () => runNode(run, index, maxAgeDays), () => {
      for (const input of index.inputsOf(run.id)) visitArtifact(key, input, { runId: run.id, start: run.start }, { relation: 'read' });
    });
    if (from !== null && edge) addEdge({ from, to: key, ...edge });
  };

  const visitArtifact = (from: string | null, artifact: ArtifactRow, reader: Reader, edge?: Omit<TraceEdge, 'from' | 'to'>): void => {
    const key = nodeKey.artifact(artifact.id);
    // The producer depends on who reads it (and when), so it is resolved per reader.
    const resolution = resolveProducer(reader, artifact, index);
    for (const w of resolution.warnings) warnings.add(w);
    reach(from, key, () => artifactNode(artifact, index), () => undefined);
    if (from !== null && edge) addEdge({ from, to: key, ...edge });
    if (resolution.producer) visitRun(key, resolution.producer.run, { relation: 'produced_by', ...(resolution.match ? { match: resolution.match } : {}) });
  };

  const visitModel = (from: string | null, model: ModelRow): void => {
    const key = nodeKey.model(model.id);
    reach(from, key, () => modelNode(model, index), () => {
      const trained = trainingRunOf(model, index);
      if (trained) {
        const aKey = nodeKey.artifact(trained.artifact.id);
        reach(key, aKey, () => artifactNode(trained.artifact, index), () => undefined);
        addEdge({ from: key, to: aKey, relation: 'same_content' });
        visitRun(aKey, trained.run, { relation: 'produced_by', match: 'hash' });
        return;
      }
      const same = index.artifactsWithHash(model.id)[0];
      if (same) {
        reach(key, nodeKey.artifact(same.id), () => artifactNode(same, index), () => undefined);
        addEdge({ from: key, to: nodeKey.artifact(same.id), relation: 'same_content' });
      }
      const stored = model.training_run_id ? index.runs.get(model.training_run_id) : undefined;
      if (stored) visitRun(key, stored, { relation: 'produced_by', match: 'hash' });
    });
    if (from !== null) addEdge({ from, to: key, relation: 'made_by' });
  };

  switch (root.type) {
    case 'prediction': {
      const p = root.prediction;
      const key = nodeKey.prediction(p.id);
      reach(null, key, () => predictionNode(p), () => {
        const model = index.models.get(p.model_id) ?? { id: p.model_id, name: p.model, version: p.version, path: null, first_seen: null, training_run_id: null, features: [] };
        visitModel(key, model);
      });
      break;
    }
    case 'model':
      visitModel(null, root.model);
      break;
    case 'run':
      visitRun(null, root.run);
      break;
    case 'artifact':
      visitArtifact(null, root.artifact, MODEL_READER);
      break;
  }
  for (let i = 0; i < queue.length; i++) queue[i]!.expand();
  return { nodes, edges, depth, warnings: [...warnings] };
}

export function buildTrace(root: TraceRoot, index: LineageIndex, maxAgeDays = DEFAULT_MAX_AGE_DAYS): TraceResult {
  const walk = walkUpstream(root, index, maxAgeDays);
  const nodes = [...walk.nodes.values()];
  const rootKey = nodes[0]!.key;
  return {
    root: rootKey,
    nodes,
    edges: walk.edges,
    warnings: walk.warnings,
    stale_runs: nodes.filter((n): n is RunNode => n.type === 'run' && n.stale).map((n) => n.id),
    max_age_days: maxAgeDays,
  };
}

function iso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

function flags(rows: FlagRow[]): Flag[] {
  return rows.map((f) => ({ reason: f.reason, time: new Date(f.time).toISOString(), source: f.source }));
}

function predictionNode(p: PredictionInfo): PredictionNode {
  return {
    type: 'prediction', key: nodeKey.prediction(p.id), flags: flags(p.flags),
    id: p.id, time: new Date(p.time).toISOString(), model_id: p.model_id, model: p.model, version: p.version,
    score: p.score, label: p.label, source: p.source,
  };
}

function modelNode(m: ModelRow, index: LineageIndex): ModelNode {
  const trained = trainingRunOf(m, index);
  return {
    type: 'model', key: nodeKey.model(m.id), flags: [],
    id: m.id, name: m.name, version: m.version, path: m.path, first_seen: iso(m.first_seen),
    training_run_id: trained?.run.id ?? m.training_run_id,
  };
}

function runNode(r: RunRow, index: LineageIndex, maxAgeDays: number): RunNode {
  const reasons = staleReasons(r, index, maxAgeDays);
  return {
    type: 'run', key: nodeKey.run(r.id), flags: flags(index.flagsOf('run', r.id)),
    id: r.id, component: r.component, start: iso(r.start)!, end: iso(r.end), status: r.status,
    git_commit: r.git_commit, git_dirty: r.git_dirty, code_file: r.code_file, code_line: r.code_line,
    params: r.params, metrics: r.metrics, notes: r.notes,
    stale: reasons.length > 0, stale_reasons: reasons,
  };
}

function artifactNode(a: ArtifactRow, index: LineageIndex): ArtifactNode {
  return {
    type: 'artifact', key: nodeKey.artifact(a.id), flags: flags(index.flagsOf('artifact', a.id)),
    id: a.id, name: a.name, kind: a.kind, uri: a.uri, content_hash: a.content_hash, size: a.size, created: iso(a.created)!,
  };
}
