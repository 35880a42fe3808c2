/**
 * Dependency inference from I/O. A run (or a loaded model) that reads an artifact depends on the
 * run that *produced the same content*: the output with the same sha256. Only when the input has
 * no content hash does a name match stand in, and that is reported as a warning. Pure functions.
 */
import { runLabel, shortHash, type ArtifactRow, type LineageIndex, type Producer } from './snapshot';

/** Whoever reads the artifact: a run (never its own producer) or a model loaded at `start`. */
export interface Reader {
  runId: string | null;
  start: number;
}

export interface Resolution {
  producer: Producer | null;
  match?: 'hash' | 'name';
  warnings: string[];
}

/**
 * Among several runs that wrote the content, the one the reader used: the latest that finished
 * by the time the reader started; if none had, the earliest (with a warning: clocks disagree,
 * or the content was written by an unlogged step first).
 */
export function chooseProducer(reader: Reader, candidates: Producer[]): { chosen: Producer; afterReader: boolean } | null {
  const others = candidates.filter((c) => c.run.id !== reader.runId);
  if (others.length === 0) return null;
  const finished = (c: Producer): number => c.run.end ?? c.run.start;
  const before = others.filter((c) => finished(c) <= reader.start);
  if (before.length > 0) {
    const chosen = before.reduce((best, c) => (finished(c) > finished(best) || (finished(c) === finished(best) && c.run.id > best.run.id) ? c : best));
    return { chosen, afterReader: false };
  }
  const chosen = others.reduce((best, c) => (finished(c) < finished(best) || (finished(c) === finished(best) && c.run.id < best.run.id) ? c : best));
  return { chosen, afterReader: true };
}

/** The run an input came from, how it was matched, and what the trace should warn about. */
export function resolveProducer(reader: Reader, input: ArtifactRow, index: LineageIndex): Resolution {
  const warnings: string[] = [];
  if (input.content_hash) {
    const picked = chooseProducer(reader, index.producersOfHash(input.content_hash));
    if (picked) {
      if (picked.afterReader) {
        warnings.push(`"${input.name}" (sha256 ${shortHash(input.content_hash)}) was read before any logged run wrote it; linked to the first writer, ${runLabel(picked.chosen.run)}`);
      }
      return { producer: picked.chosen, match: 'hash', warnings };
    }
    // No run wrote this content. If one wrote something under the same name, say so: the file
    // changed after it was written, or the reader used a different version.
    const sameName = index.producersOfName(input.name).filter((p) => p.run.id !== reader.runId && p.artifact.content_hash !== input.content_hash);
    if (sameName.length > 0) {
      const latest = sameName.reduce((a, b) => ((b.run.end ?? b.run.start) > (a.run.end ?? a.run.start) ? b : a));
      warnings.push(`"${input.name}" (sha256 ${shortHash(input.content_hash)}) matches no logged output by content; ${runLabel(latest.run)} wrote "${input.name}" with other content (sha256 ${shortHash(latest.artifact.content_hash)}), not linked`);
    }
    return { producer: null, warnings };
  }
  const picked = chooseProducer(reader, index.producersOfName(input.name));
  if (!picked) return { producer: null, warnings };
  warnings.push(`"${input.name}" has no content hash: linked to ${runLabel(picked.chosen.run)} by name only`);
  return { producer: picked.chosen, match: 'name', warnings };
}
