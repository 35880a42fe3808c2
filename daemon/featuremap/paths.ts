import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FeatureSide, SourceLanguage } from '../../protocol';

/** Training and serving feature-code paths (absolute files or folders). */
export interface FeatureCodePaths {
  training: string[];
  serving: string[];
}

/** `/`-separated path of `file` relative to `root` (SARIF and humans read these). */
export function relativeTo(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** True when `file` is `codePath` itself or lies inside the folder `codePath`. */
export function isWithin(file: string, codePath: string): boolean {
  const rel = path.relative(codePath, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Which side a file belongs to, from the configured paths only. A file listed on both sides is
 * claimed by neither: classifying it would be a guess.
 */
export function classifySide(file: string, code: FeatureCodePaths): FeatureSide | undefined {
  const training = code.training.some((p) => isWithin(file, p));
  const serving = code.serving.some((p) => isWithin(file, p));
  if (training === serving) return undefined;
  return training ? 'training' : 'serving';
}

export function languageOf(file: string): SourceLanguage {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.py' || ext === '.pyi') return 'python';
  if (ext === '.ts' || ext === '.tsx' || ext === '.mts' || ext === '.cts') return 'typescript';
  if (ext === '.js' || ext === '.jsx' || ext === '.mjs' || ext === '.cjs') return 'javascript';
  if (ext === '.sql') return 'sql';
  return 'other';
}

/**
 * Resolves a path written in a config file. Model cards written by the training pipeline record
 * `feature_code` relative to the repository root, not to the card, so after `base` the folders
 * above are tried too; the first that exists wins, else the path relative to `base`.
 */
export function resolveConfigPath(p: string, base: string, searchUpFrom?: string): string {
  if (path.isAbsolute(p)) return path.normalize(p);
  const first = path.resolve(base, p);
  if (existsSync(first) || !searchUpFrom) return first;
  for (let dir = path.resolve(searchUpFrom); ; dir = path.dirname(dir)) {
    const candidate = path.resolve(dir, p);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return first;
  }
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
