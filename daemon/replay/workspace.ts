/**
 * The workspace a run belongs to: the folder of the nearest sightline.json (from the model's
 * folder upwards, or `--workspace`). Replay and eval read from it: the feature map (SARIF), the
 * training baseline (label sanity), the join key, the `gates`, the trace, and the listed models
 * (the default baseline of a replay).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FeatureMapProblem } from '../../protocol';
import { readWorkspace, readWorkspaceCards, WORKSPACE_FILE, type WorkspaceCard } from '../featuremap';

export interface RunWorkspace {
  root: string;
  configPath: string;
  /** Keys of sightline.json as written (other tools own some of them). */
  config: {
    joinKey?: string;
    trace?: string;
    traffic?: string;
    labels?: string;
    baseline?: { name?: string; path?: string };
    eval?: { data?: string; label?: string };
    /** The feature command for raw traffic (`--transform` when none is given and the data lacks the features); runs in the workspace folder. */
    transform?: string;
  };
  cards: () => WorkspaceCard[];
}

/** The folder holding sightline.json at or above `start` (a file or folder), if any. */
export function findWorkspaceRoot(start: string): string | null {
  let dir = path.resolve(start);
  try {
    if (!statSync(dir).isDirectory()) dir = path.dirname(dir);
  } catch {
    dir = path.dirname(dir);
  }
  for (;;) {
    if (existsSync(path.join(dir, WORKSPACE_FILE))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function openWorkspace(root: string | null): RunWorkspace | null {
  if (!root) return null;
  const configPath = path.join(root, WORKSPACE_FILE);
  if (!existsSync(configPath)) return null;
  let config: RunWorkspace['config'] = {};
  try {
    const json = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);
    const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
    const baseline = obj(json.baseline);
    const evalCfg = obj(json.eval);
    config = {
      ...(str(json.joinKey) ? { joinKey: str(json.joinKey) } : {}),
      ...(str(json.trace) ? { trace: str(json.trace) } : {}),
      ...(str(json.traffic) ? { traffic: str(json.traffic) } : {}),
      ...(str(json.labels) ? { labels: str(json.labels) } : {}),
      ...(json.baseline ? { baseline: { ...(str(baseline.name) ? { name: str(baseline.name) } : {}), ...(str(baseline.path) ? { path: str(baseline.path) } : {}) } } : {}),
      ...(str(json.transform) ? { transform: str(json.transform) } : {}),
      ...(json.eval ? { eval: { ...(str(evalCfg.data) ? { data: str(evalCfg.data) } : {}), ...(str(evalCfg.label) ? { label: str(evalCfg.label) } : {}) } } : {}),
    };
  } catch {
    /* a malformed sightline.json: the feature map reports it; runs go on without it */
  }
  let cards: WorkspaceCard[] | null = null;
  return {
    root,
    configPath,
    config,
    cards: () => {
      if (!cards) {
        const problems: FeatureMapProblem[] = [];
        cards = readWorkspaceCards(readWorkspace(root), problems);
      }
      return cards;
    },
  };
}

/** A path of sightline.json, relative to its folder. */
export function workspacePath(ws: RunWorkspace, p: string | undefined): string | null {
  return p ? path.resolve(ws.root, p) : null;
}
