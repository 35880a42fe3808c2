/**
 * Staleness of a run: an input has a newer version (same name, created later, other content),
 * or an input was older than `maxAgeDays` when the run started (its age counted from the end of
 * the run that produced it, or from when it was first seen). Pure.
 */
import { resolveProducer } from './dependencies';
import { shortHash, type ArtifactRow, type LineageIndex, type RunRow } from './snapshot';

export const DEFAULT_MAX_AGE_DAYS = 30;
const DAY_MS = 86_400_000;

/** A later artifact of the same name whose content differs from `input`. */
export function newerVersion(input: ArtifactRow, index: LineageIndex): ArtifactRow | null {
  let newest: ArtifactRow | null = null;
  for (const a of index.artifactsNamed(input.name)) {
    if (a.id === input.id || a.created <= input.created) continue;
    if (a.content_hash !== null && a.content_hash === input.content_hash) continue;
    if (!newest || a.created > newest.created) newest = a;
  }
  return newest;
}

export function staleReasons(run: RunRow, index: LineageIndex, maxAgeDays = DEFAULT_MAX_AGE_DAYS): string[] {
  const reasons: string[] = [];
  for (const input of index.inputsOf(run.id)) {
    const newer = newerVersion(input, index);
    if (newer) {
      reasons.push(`input "${input.name}" has a newer version (sha256 ${shortHash(newer.content_hash)}, ${new Date(newer.created).toISOString()})`);
    }
    const { producer } = resolveProducer({ runId: run.id, start: run.start }, input, index);
    const born = producer ? Math.min(producer.run.end ?? producer.run.start, input.created) : input.created;
    const ageDays = (run.start - born) / DAY_MS;
    if (ageDays > maxAgeDays) {
      reasons.push(`input "${input.name}" was ${ageDays.toFixed(1)} days old when the run started (max ${maxAgeDays})`);
    }
  }
  return reasons;
}
