/**
 * What `sightline trace X` means by X: a prediction UUID; a run id, unique id prefix, or the
 * `component#prefix` label the tree prints, or a component name (its latest run); a model id or artifact content hash (or a prefix of
 * ≥ 8 hex); an artifact id; an artifact name (its newest version).
 */
import { SightlineError } from '../../protocol';
import { parseUuid, uuidText } from '../store/ids';
import type { PredictionInfo, TraceRoot } from './graph';
import type { ArtifactRow, LineageIndex, RunRow } from './snapshot';

export interface TargetQuery {
  target?: string | undefined;
  prediction?: string | undefined;
  run?: string | undefined;
  artifact?: string | undefined;
}

export type PredictionLookup = (id: string) => Promise<PredictionInfo | null>;

export async function resolveTarget(q: TargetQuery, index: LineageIndex, findPrediction: PredictionLookup): Promise<TraceRoot> {
  const given = (['target', 'prediction', 'run', 'artifact'] as const).filter((k) => q[k] !== undefined);
  if (given.length !== 1) {
    throw new SightlineError('invalid_request', `give exactly one of target, prediction, run, artifact (got ${given.length === 0 ? 'none' : given.join(', ')})`, given.length > 1 ? [given[1]!] : []);
  }
  const key = given[0]!;
  const value = q[key]!.trim();
  switch (key) {
    case 'prediction': {
      const root = await predictionRoot(value, findPrediction);
      if (!root) throw new SightlineError('not_found', `no prediction ${value} in this trace`, ['prediction']);
      return root;
    }
    case 'run': {
      const root = runRoot(value, index) ?? latestRunOf(value, index);
      if (!root) throw new SightlineError('not_found', `no component run ${value} in this trace`, ['run']);
      return root;
    }
    case 'artifact': {
      const root = findArtifactOrModel(value, index);
      if (!root) throw new SightlineError('not_found', `no artifact or model ${value} in this trace (give an artifact id, a content hash or prefix, or a name)`, ['artifact']);
      return root;
    }
    case 'target': {
      if (parseUuid(value) !== null) {
        const p = await predictionRoot(value, findPrediction);
        if (p) return p;
      }
      const exactRun = index.runs.get(value);
      if (exactRun) return { type: 'run', run: exactRun };
      const root = findArtifactOrModel(value, index, { namesLast: true }) ?? runRoot(value, index) ?? findArtifactOrModel(value, index) ?? latestRunOf(value, index);
      if (root) return root;
      // A feature name: the lineage of the newest model that takes it (its training run, the
      // feature table it was fitted on, the code and data that produced it).
      const users = [...index.models.values()].filter((m) => m.features.includes(value));
      if (users.length > 0) return { type: 'model', model: users.reduce((a, b) => ((b.first_seen ?? 0) > (a.first_seen ?? 0) ? b : a)) };
      throw new SightlineError('not_found', `nothing in this trace matches ${value}: not a prediction id, run id, content hash, artifact name or feature of a model`, ['target']);
    }
  }
}

async function predictionRoot(value: string, findPrediction: PredictionLookup): Promise<TraceRoot | null> {
  const id = parseUuid(value);
  if (id === null) throw new SightlineError('bad_value', `${value} is not a prediction id (a UUID)`, ['prediction']);
  const prediction = await findPrediction(uuidText(id));
  return prediction ? { type: 'prediction', prediction } : null;
}

function runRoot(value: string, index: LineageIndex): TraceRoot | null {
  const run = findRun(value, index);
  return run ? { type: 'run', run } : null;
}

/** The most recent run of a component. */
function latestRunOf(component: string, index: LineageIndex): TraceRoot | null {
  let latest: RunRow | null = null;
  for (const r of index.runs.values()) if (r.component === component && (!latest || r.start > latest.start)) latest = r;
  return latest ? { type: 'run', run: latest } : null;
}

/** Exact id, unique id prefix (≥ 4 characters), or `component#prefix`. */
export function findRun(value: string, index: LineageIndex): RunRow | null {
  const exact = index.runs.get(value);
  if (exact) return exact;
  const hash = value.indexOf('#');
  const component = hash > 0 ? value.slice(0, hash) : null;
  const prefix = hash > 0 ? value.slice(hash + 1) : value;
  if (prefix.length < 4 && component === null) return null;
  const matches = [...index.runs.values()].filter((r) => r.id.startsWith(prefix) && (component === null || r.component === component));
  if (matches.length > 1) {
    throw new SightlineError('invalid_request', `${value} matches ${matches.length} runs (${matches.slice(0, 5).map((r) => r.id).join(', ')}…); give more of the id`);
  }
  return matches[0] ?? null;
}

function findArtifactOrModel(value: string, index: LineageIndex, opts: { namesLast?: boolean } = {}): TraceRoot | null {
  const exact = index.artifacts.get(value);
  if (exact) return { type: 'artifact', artifact: exact };
  const lower = value.toLowerCase();
  if (/^[0-9a-f]{8,64}$/.test(lower)) {
    const models = [...index.models.values()].filter((m) => m.id.startsWith(lower));
    const hashes = new Set([...index.artifacts.values()].filter((a) => a.content_hash?.startsWith(lower)).map((a) => a.content_hash!));
    for (const m of models) hashes.add(m.id);
    if (hashes.size > 1) throw new SightlineError('invalid_request', `${value} is a prefix of ${hashes.size} content hashes; give more of it`);
    if (models[0]) return { type: 'model', model: models[0] };
    const [hash] = [...hashes];
    if (hash) return { type: 'artifact', artifact: preferProduced(index.artifactsWithHash(hash), index) };
  }
  if (opts.namesLast) return null;
  const named = index.artifactsNamed(value);
  if (named.length > 0) return { type: 'artifact', artifact: named.reduce((a, b) => (b.created > a.created ? b : a)) };
  return null;
}

/** Of the artifacts sharing a content hash, the one a run wrote (it carries the lineage). */
function preferProduced(artifacts: ArtifactRow[], index: LineageIndex): ArtifactRow {
  const produced = artifacts.find((a) => index.producersOfHash(a.content_hash ?? '').some((p) => p.artifact.id === a.id));
  return produced ?? artifacts[0]!;
}
