import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CodeLocation, FeatureHint, FeatureMapProblem } from '../../protocol';
import { literal } from '../store/sql';
import type { FileIndex } from './file-index';
import { explicitLocation } from './locate';
import { classifySide, type FeatureCodePaths } from './paths';

/**
 * Turns SDK-recorded code locations into wire locations. A run recorded on another machine (CI,
 * a colleague) carries that machine's absolute path, so a path that does not exist here is matched
 * against the workspace's files by its longest common tail (`…/samples/flights/features.py`).
 */
export function resolveHints(
  hints: FeatureHint[], root: string, code: FeatureCodePaths, scanned: string[], files: FileIndex,
): { locations: Map<string, CodeLocation[]>; problems: FeatureMapProblem[] } {
  const locations = new Map<string, CodeLocation[]>();
  const problems: FeatureMapProblem[] = [];
  for (const h of hints) {
    const file = localFile(h.file, root, scanned);
    const text = file ? files.line(file, h.line) : undefined;
    if (!file || text === undefined) {
      problems.push({ code: 'bad_location', feature: h.feature, message: `an SDK recorded ${h.feature} at ${h.file}:${h.line}, which is not in this workspace (or the file has fewer lines)` });
      continue;
    }
    const loc = explicitLocation(h.feature, file, h.line, text, root, classifySide(file, code), 'sdk', files.candidates(file));
    const list = locations.get(h.feature) ?? [];
    if (!list.some((l) => l.file === loc.file && l.line === loc.line)) list.push(loc);
    locations.set(h.feature, list);
  }
  return { locations, problems };
}

function localFile(file: string, root: string, scanned: string[]): string | undefined {
  const direct = path.isAbsolute(file) ? file : path.resolve(root, file);
  if (existsSync(direct)) return direct;
  const parts = file.split(/[\\/]+/).filter(Boolean);
  // Longest tail first; a bare file name only counts when exactly one file has it.
  for (let k = parts.length; k >= 1; k--) {
    const tail = '/' + parts.slice(parts.length - k).join('/');
    const hits = scanned.filter((s) => s.split(path.sep).join('/').endsWith(tail));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) return undefined;
  }
  return undefined;
}

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * Code locations of feature steps recorded by the SDKs with lineage component runs
 * (`component_runs.code_file` / `code_line`). The lineage schema is still settling, so this reads
 * whatever shape is there and returns [] when the table or columns are missing; the newest run
 * per (feature, file) wins, since older runs point at lines that may have moved.
 */
export async function sdkHintsFromTrace(query: Query, features: string[]): Promise<FeatureHint[]> {
  if (features.length === 0) return [];
  try {
    const cols = new Set((await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'component_runs'`)).map((r) => String(r.column_name)));
    if (!cols.has('code_file') || !cols.has('code_line')) return [];
    const own = ['feature', 'component', 'component_name', 'name'].find((c) => cols.has(c));
    let from = 'component_runs r';
    let who: string;
    if (own) who = `r.${own}`;
    else if (cols.has('component_id')) {
      const comp = new Set((await query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'components'`)).map((r) => String(r.column_name)));
      if (!comp.has('id') || !comp.has('name')) return [];
      from = 'component_runs r JOIN components c ON c.id = r.component_id';
      who = 'c.name';
    } else return [];
    const time = ['ended', 'end_time', 'started', 'start_time', 'start'].find((c) => cols.has(c));
    const rows = await query(
      `SELECT ${who}::VARCHAR AS feature, r.code_file::VARCHAR AS file, r.code_line::BIGINT AS line FROM ${from}
       WHERE r.code_file IS NOT NULL AND r.code_line IS NOT NULL AND ${who} IN (${features.map(literal).join(', ')})
       ${time ? `ORDER BY r.${time} DESC NULLS LAST` : ''} LIMIT 10000`,
    );
    const seen = new Set<string>();
    const out: FeatureHint[] = [];
    for (const r of rows) {
      const hint = { feature: String(r.feature), file: String(r.file), line: Number(r.line) };
      const key = `${hint.feature}\u0000${hint.file}`;
      if (seen.has(key) || !Number.isInteger(hint.line) || hint.line < 1) continue;
      seen.add(key);
      out.push(hint);
    }
    return out;
  } catch {
    return [];
  }
}
