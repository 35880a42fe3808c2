import { walkUpstream } from '../lineage/graph';
import type { LineageIndex } from '../lineage/snapshot';

/**
 * The lineage an export keeps: every run upstream of the exported models (training run, the runs
 * that made its inputs, down to raw data), found the way `sightline trace` walks it (by content
 * hash), and the artifacts those runs read and wrote.
 */
export function lineageOfModels(index: LineageIndex, modelIds: readonly string[]): { runs: string[]; artifacts: string[] } {
  const runs = new Set<string>();
  const artifacts = new Set<string>();
  for (const id of modelIds) {
    const model = index.models.get(id);
    if (!model) continue;
    const walk = walkUpstream({ type: 'model', model }, index);
    for (const key of walk.nodes.keys()) {
      if (key.startsWith('run:')) runs.add(key.slice(4));
      else if (key.startsWith('artifact:')) artifacts.add(key.slice(9));
    }
  }
  for (const run of runs) {
    for (const a of index.inputsOf(run)) artifacts.add(a.id);
    for (const a of index.outputsOf(run)) artifacts.add(a.id);
  }
  return { runs: [...runs].sort(), artifacts: [...artifacts].sort() };
}
