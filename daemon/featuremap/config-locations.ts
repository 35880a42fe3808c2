import path from 'node:path';
import type { CodeLocation, FeatureMapProblem, FeatureSide } from '../../protocol';
import { RANK } from './candidate';
import type { FileIndex } from './file-index';
import { explicitLocation, toLocation } from './locate';

/**
 * A location written in sightline.json `features`: `"path:line"`, or `"path"` alone (then the
 * feature is looked up in that file and must be found exactly once at the best rank).
 * Paths are relative to the sightline.json.
 */
export function configLocation(
  name: string, side: FeatureSide, spec: string, root: string, files: FileIndex,
): { location?: CodeLocation; problem?: FeatureMapProblem } {
  const m = /^(.*):(\d+)$/.exec(spec);
  const file = path.resolve(root, m ? m[1]! : spec);
  const bad = (why: string): { problem: FeatureMapProblem } => ({
    problem: { code: 'bad_location', feature: name, side, message: `sightline.json features.${name}.${side} = "${spec}": ${why}` },
  });
  if (files.text(file) === undefined) return bad('file not found');
  if (m) {
    const line = Number(m[2]);
    const text = files.line(file, line);
    if (line < 1 || text === undefined) return bad(`the file has no line ${line}`);
    return { location: explicitLocation(name, file, line, text, root, side, 'config', files.candidates(file)) };
  }
  const own = files.candidates(file).filter((c) => c.name === name);
  const best = Math.max(...own.map((c) => RANK[c.kind]));
  const top = own.filter((c) => RANK[c.kind] === best);
  if (top.length === 0) return bad(`"${name}" is not defined there; add the line ("path:line")`);
  if (top.length > 1) return bad(`"${name}" is defined ${top.length} times there (lines ${top.map((c) => c.line).join(', ')}); add the line ("path:line")`);
  return { location: toLocation(top[0]!, file, root, side, 'config') };
}
