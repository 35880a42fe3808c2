import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from './settings';

/** What the extension knows about the Sightline workspace: its root and what sightline.json says. */
export interface SightlineWorkspace {
  /** Folder of sightline.json, else the first workspace folder; undefined with no folder open. */
  root: string | undefined;
  /** sightline.json was found (and parsed). */
  configured: boolean;
  /** Absolute .onnx paths (files or folders) listed under `models`. */
  models: string[];
  /** The trace this workspace writes (absolute). */
  trace: string | undefined;
  /** Problems reading sightline.json, for the log. */
  problems: string[];
  /** Raw sightline.json, for commands that read more of it (traffic, labels, eval). */
  config: Record<string, unknown>;
}

export const CONFIG_FILE = 'sightline.json';
export const DEFAULT_TRACE = path.join('.sightline', 'trace.duckdb');

/**
 * Reads sightline.json of the first workspace folder that has one (a cheap, synchronous read of
 * one small file). `folders`: the workspace folders on disk (`file:` URIs' paths), in order.
 */
export function findWorkspace(folders: readonly string[], settings: Settings): SightlineWorkspace {
  const withConfig = folders.find((f) => existsSync(path.join(f, CONFIG_FILE)));
  const root = withConfig ?? folders[0];
  const ws: SightlineWorkspace = { root, configured: false, models: [], trace: undefined, problems: [], config: {} };
  if (!root) return ws;
  if (withConfig) {
    try {
      const parsed = JSON.parse(readFileSync(path.join(root, CONFIG_FILE), 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        ws.config = parsed as Record<string, unknown>;
        ws.configured = true;
      } else ws.problems.push(`${CONFIG_FILE} is not a JSON object`);
    } catch (err) {
      ws.problems.push(`${CONFIG_FILE}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const models = ws.config.models;
  if (Array.isArray(models)) {
    for (const m of models) {
      if (typeof m === 'string' && m.length > 0) ws.models.push(path.resolve(root, m));
      else ws.problems.push(`${CONFIG_FILE}: "models" entries must be paths, got ${JSON.stringify(m)}`);
    }
  } else if (models !== undefined) ws.problems.push(`${CONFIG_FILE}: "models" must be a list of paths`);
  const configTrace = typeof ws.config.trace === 'string' ? ws.config.trace : undefined;
  ws.trace = path.resolve(root, settings.trace || configTrace || DEFAULT_TRACE);
  return ws;
}

/** A path from sightline.json (relative to the root), if the key holds a string. */
export function configPath(ws: SightlineWorkspace, key: string): string | undefined {
  const v = ws.config[key];
  return typeof v === 'string' && ws.root ? path.resolve(ws.root, v) : undefined;
}
