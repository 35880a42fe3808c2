import { readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { isDirectory, languageOf, type FeatureCodePaths } from './paths';
import { SKIP_DIRS } from './workspace';

/** Bounds that keep a language server responsive in a large repository. */
export const SCAN_LIMITS = { maxFiles: 5000, maxBytes: 1 << 20 };

/**
 * Source files to search: everything under the workspace root in a supported language (hidden
 * folders, dependencies and build output skipped), plus feature-code paths that live outside it.
 */
export function listSourceFiles(root: string, code: FeatureCodePaths): string[] {
  const files = new Set<string>();
  const walk = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (files.size >= SCAN_LIMITS.maxFiles) return;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && !SKIP_DIRS.has(e.name)) walk(p);
      } else if (e.isFile() && isScannable(p)) files.add(p);
    }
  };
  // Feature code first, so the file limit can never leave it out.
  for (const p of [...code.training, ...code.serving]) {
    if (isDirectory(p)) walk(p);
    else if (isScannable(p)) files.add(p);
  }
  walk(root);
  return [...files];
}

function isScannable(file: string): boolean {
  if (languageOf(file) === 'other' || file.endsWith('.d.ts')) return false;
  try {
    return statSync(file).size <= SCAN_LIMITS.maxBytes;
  } catch {
    return false;
  }
}
