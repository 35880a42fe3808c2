/**
 * Where gates come from: `--gate EXPR` flags, a `--gates FILE`, and the `gates` key of the
 * workspace's committed sightline.json (read when no `--gates FILE` is given). The declaring
 * file and line travel with each gate (SARIF and error messages point at them).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GatesConfig, SightlineError, type GateSpec } from '../../protocol';

export type GateKind = 'replay' | 'eval' | 'compare';

export interface GateSources {
  /** `--gate` values, in order. */
  flags?: readonly string[];
  /** `--gates FILE`. */
  file?: string;
  /** The workspace's sightline.json (its `gates` key is used when `file` is not given). */
  workspaceConfig?: string | null;
}

export function gateSpecs(kind: GateKind, sources: GateSources): GateSpec[] {
  const out: GateSpec[] = [];
  if (sources.file) out.push(...fromFile(path.resolve(sources.file), kind, 'file', true));
  else if (sources.workspaceConfig && existsSync(sources.workspaceConfig)) out.push(...fromFile(sources.workspaceConfig, kind, 'config', false));
  for (const expr of sources.flags ?? []) out.push({ expr, source: { kind: 'flag', file: null, line: null } });
  return out;
}

function fromFile(file: string, kind: GateKind, sourceKind: 'file' | 'config', required: boolean): GateSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!required) return [];
    throw new SightlineError('invalid_request', `--gates ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err)}`);
  }
  const lines = text.split(/\r?\n/);
  let exprs: string[];
  const trimmed = text.trimStart();
  if (sourceKind === 'config' || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SightlineError('invalid_request', `${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const raw = sourceKind === 'config' ? (json as { gates?: unknown } | null)?.gates : json;
    if (raw === undefined) return [];
    const parsed = GatesConfig.safeParse(raw);
    if (!parsed.success) {
      throw new SightlineError('invalid_request', `${file}: ${sourceKind === 'config' ? '"gates" ' : ''}must be a list of gates ["flip_rate < 0.02", …] or { "replay": […], "eval": […], "compare": […] } (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    }
    exprs = Array.isArray(parsed.data) ? parsed.data : (parsed.data[kind] ?? []);
  } else {
    exprs = lines.map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
  }
  return exprs.map((expr) => ({ expr, source: { kind: sourceKind, file, line: lineOf(lines, expr) } }));
}

/** 1-based line of the first line containing the gate's text (null when it spans lines or is not found). */
function lineOf(lines: readonly string[], expr: string): number | null {
  const i = lines.findIndex((l) => l.includes(expr));
  return i >= 0 ? i + 1 : null;
}
