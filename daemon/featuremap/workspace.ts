import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FeatureMapConfig, type FeatureMapProblem } from '../../protocol';
import { resolveConfigPath, type FeatureCodePaths } from './paths';

export const WORKSPACE_FILE = 'sightline.json';

const PathList = z.union([z.string().min(1), z.array(z.string().min(1))]);

/** The parts of a workspace `sightline.json` the feature map reads (other keys belong to other tools). */
const WorkspaceFile = z.object({
  models: PathList.optional(),
  featureCode: z.object({ training: PathList.optional(), serving: PathList.optional() }).optional(),
  features: FeatureMapConfig.optional(),
});

export interface Workspace {
  /** Folder of sightline.json: every path in it is relative to this. */
  root: string;
  configPath: string;
  /** Absolute .onnx paths listed under `models`. */
  models: string[];
  featureCode: FeatureCodePaths;
  features: FeatureMapConfig;
  problems: FeatureMapProblem[];
}

/**
 * Reads `<root>/sightline.json`. A missing or malformed file is not fatal (static discovery still
 * runs); each defect becomes a `bad_config` problem naming the key.
 */
export function readWorkspace(root: string, readText: (file: string) => string | undefined = readFileOrUndefined): Workspace {
  const configPath = path.join(root, WORKSPACE_FILE);
  const ws: Workspace = { root, configPath, models: [], featureCode: { training: [], serving: [] }, features: {}, problems: [] };
  const text = readText(configPath);
  if (text === undefined) return ws;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    ws.problems.push({ code: 'bad_config', message: `${configPath} is not valid JSON: ${err instanceof Error ? err.message : String(err)}` });
    return ws;
  }
  // Key by key, so one bad key does not discard the others.
  const obj = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  for (const key of ['models', 'featureCode', 'features'] as const) {
    const r = WorkspaceFile.shape[key].safeParse(obj[key]);
    if (!r.success) {
      const issue = r.error.issues[0];
      ws.problems.push({ code: 'bad_config', message: `${configPath}: "${key}"${issue?.path.length ? '.' + issue.path.join('.') : ''} ${issue?.message ?? 'is malformed'}` });
      continue;
    }
    if (key === 'models' && r.data) ws.models = list(r.data as string | string[]).map((p) => path.resolve(root, p));
    if (key === 'featureCode' && r.data) {
      const fc = r.data as { training?: string | string[]; serving?: string | string[] };
      ws.featureCode.training = list(fc.training).map((p) => path.resolve(root, p));
      ws.featureCode.serving = list(fc.serving).map((p) => path.resolve(root, p));
    }
    if (key === 'features' && r.data) ws.features = r.data as FeatureMapConfig;
  }
  return ws;
}

/** Adds a model card's `feature_code` paths (the card's own convention: relative to the repository root). */
export function addCardFeatureCode(code: FeatureCodePaths, cardFeatureCode: { training?: string; serving?: string } | undefined, cardDir: string, root: string): void {
  if (!cardFeatureCode) return;
  for (const side of ['training', 'serving'] as const) {
    const p = cardFeatureCode[side];
    if (!p) continue;
    const abs = resolveConfigPath(p, cardDir, root);
    if (!code[side].includes(abs)) code[side].push(abs);
  }
}

/**
 * Folders holding a sightline.json at or below `root` (an editor may open the repository, not
 * the sample folder). Shallow on purpose: a workspace file sits near the top of a project.
 */
export function findWorkspaces(root: string, maxDepth = 3): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (existsSync(path.join(dir, WORKSPACE_FILE))) found.push(dir);
    if (depth >= maxDepth) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1);
    }
  };
  walk(path.resolve(root), 0);
  return found;
}

/** Folders never searched: dependencies, build output, virtual environments. */
export const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'out', 'venv', '__pycache__', 'site-packages', 'target', 'test-results']);

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function readFileOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
