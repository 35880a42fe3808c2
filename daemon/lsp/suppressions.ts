import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Suppression, type Finding } from '../../protocol';

/** Where "mark as expected" is recorded: in the workspace, so it can be committed and shared. */
export function suppressionsPath(root: string): string {
  return path.join(root, '.sightline', 'suppressions.json');
}

/** The recorded suppressions; a damaged file counts as none (entries that parse are kept). */
export function readSuppressions(root: string): Suppression[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(suppressionsPath(root), 'utf8'));
  } catch {
    return [];
  }
  const list = json && typeof json === 'object' ? (json as { suppressions?: unknown }).suppressions : undefined;
  if (!Array.isArray(list)) return [];
  return list.map((s) => Suppression.safeParse(s)).filter((r) => r.success).map((r) => r.data!);
}

/** Adds entries (replacing any with the same key) and writes the file atomically. */
export function addSuppressions(root: string, entries: Suppression[]): void {
  const keep = readSuppressions(root).filter((s) => !entries.some((e) => sameKey(e, s)));
  const file = suppressionsPath(root);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, suppressions: [...keep, ...entries] }, null, 2) + '\n');
  renameSync(tmp, file);
}

/**
 * The hash a suppression is tied to: the training and serving definition texts together, so an
 * edit on either side brings the finding back. Line endings are normalised (a checkout on another
 * OS is not a code change).
 */
export function definitionHash(texts: { training?: string; serving?: string }): string {
  const norm = (s: string | undefined): string => (s ?? '').replace(/\r\n?/g, '\n');
  return createHash('sha256').update(`training\u0000${norm(texts.training)}\u0000serving\u0000${norm(texts.serving)}`).digest('hex');
}

/** True when `s` silences finding `f` of `feature` whose definitions hash to `hash` now. */
export function silences(s: Suppression, feature: string, f: Finding, hash: string): boolean {
  return s.feature === feature && s.kind === f.kind && s.definition_hash === hash && s.baseline === f.baseline && s.window === f.window_desc;
}

function sameKey(a: Suppression, b: Suppression): boolean {
  return a.feature === b.feature && a.kind === b.kind && a.definition_hash === b.definition_hash && a.baseline === b.baseline && a.window === b.window;
}
