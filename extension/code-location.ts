import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where a recorded file is on this machine. Lineage records code and artifact paths relative to
 * the repository that produced them (the Python SDK: `samples/flights/train.py`), or absolute where
 * the SDK knew no repository; the workspace open in VS Code may be that repository, a folder inside
 * it (`samples/flights`), or a copy of such a folder elsewhere. Pure (the file system is injected),
 * so it is unit-tested; extension/panel-host.ts gives it the disk.
 *
 * No containment check: docs/security.md promises nothing about which files a lineage node may
 * open, and opening one only shows it in this user's editor (nothing is run, sent or written).
 */
export interface CodeLocationContext {
  /** The workspace folders on disk (absolute), in order. */
  workspaceFolders: readonly string[];
  /** The trace the daemon serves (absolute); its git repository, if any, is a base as well. */
  trace?: string;
  /** Whether a path is an existing regular file. */
  isFile(p: string): boolean;
  /** The git repository root above a folder, if any (default: none known); see repositoryRoot. */
  gitRoot?(dir: string): string | undefined;
}

export type CodeLocation = { found: true; path: string } | { found: false; message: string; tried: string[] };

/** Resolves a recorded path (relative, absolute, or a `file:` URI) to an existing file, or says where it looked. */
export function resolveCodeLocation(recorded: string, ctx: CodeLocationContext): CodeLocation {
  const tried: string[] = [];
  const attempt = (p: string): boolean => {
    if (tried.includes(p)) return false;
    tried.push(p);
    return ctx.isFile(p);
  };
  const p = fromUri(recorded.trim());
  if (p === '') return { found: false, message: 'Sightline: this lineage node records an empty file path.', tried };
  const foreignAbsolute = /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
  const posix = p.replace(/\\/g, '/');
  const absolute = path.posix.isAbsolute(posix) || foreignAbsolute;

  // 1. As recorded (an absolute path on this machine).
  if (absolute && !foreignAbsolute && attempt(path.normalize(p))) return { found: true, path: path.normalize(p) };

  // 2. A repository-relative path against each base: the workspace folders, the git repository
  //    each one is in, and the trace's git repository (a trace opened from elsewhere).
  if (!absolute) {
    for (const base of bases(ctx)) {
      const candidate = path.resolve(base, posix);
      if (attempt(candidate)) return { found: true, path: candidate };
    }
  }

  // 3. The workspace is a folder of the recording repository, or a copy of one: the part of the
  //    recorded path after the workspace folder's name (`samples/flights/train.py` in a workspace
  //    `…/flights` is `…/flights/train.py`). This also re-roots absolute paths from another machine.
  for (const folder of ctx.workspaceFolders) {
    for (const candidate of rerooted(posix, folder)) {
      if (attempt(candidate)) return { found: true, path: candidate };
    }
  }

  const where = ctx.workspaceFolders.length ? `the workspace (${ctx.workspaceFolders.join(', ')})` : 'no workspace folder (none is open)';
  return { found: false, tried, message: `Sightline: cannot open ${recorded} (recorded in the lineage): no such file in ${where}${absolute ? ' or at that path' : ''}.` };
}

/** The git repository root above `dir` (a folder holding `.git`, a directory or a worktree file), if any. */
export function repositoryRoot(dir: string, exists: (p: string) => boolean): string | undefined {
  let d = path.resolve(dir);
  for (;;) {
    if (exists(path.join(d, '.git'))) return d;
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

function fromUri(p: string): string {
  if (!/^file:/i.test(p)) return p;
  try {
    return fileURLToPath(p);
  } catch {
    return p.replace(/^file:\/*/i, '/');
  }
}

/** Workspace folders, their repositories' roots, then the trace's repository root; no duplicates. */
function bases(ctx: CodeLocationContext): string[] {
  const out: string[] = [];
  const add = (b: string | undefined): void => {
    if (b && !out.includes(b)) out.push(b);
  };
  const root = (dir: string): string | undefined => ctx.gitRoot?.(dir);
  for (const f of ctx.workspaceFolders) add(path.resolve(f));
  for (const f of ctx.workspaceFolders) add(root(path.resolve(f)));
  if (ctx.trace) add(root(path.dirname(path.resolve(ctx.trace))));
  return out;
}

/**
 * `folder` + the recorded path's tail after each occurrence of the folder's name among its
 * directories; occurrences whose preceding segments also match the folder's parents come first.
 */
function rerooted(recorded: string, folder: string): string[] {
  const segs = recorded.split('/').filter((s) => s !== '' && s !== '.');
  const folderSegs = path.resolve(folder).split(path.sep).filter(Boolean);
  const name = folderSegs[folderSegs.length - 1];
  if (!name) return [];
  const hits: Array<{ at: number; overlap: number }> = [];
  for (let i = 0; i < segs.length - 1; i++) {
    if (segs[i] !== name) continue;
    let overlap = 1;
    while (i - overlap >= 0 && folderSegs.length - 1 - overlap >= 0 && segs[i - overlap] === folderSegs[folderSegs.length - 1 - overlap]) overlap++;
    hits.push({ at: i, overlap });
  }
  hits.sort((a, b) => b.overlap - a.overlap || b.at - a.at);
  return hits.map((h) => path.join(path.resolve(folder), ...segs.slice(h.at + 1)));
}
