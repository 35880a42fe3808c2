import path from 'node:path';
import type { CodeLocation, FeatureHint, FeatureKind, FeatureMap, FeatureMapProblem, FeatureSide } from '../../protocol';
import { configLocation } from './config-locations';
import { FileIndex } from './file-index';
import { toLocation } from './locate';
import { readWorkspaceCards, type WorkspaceCard } from './model-cards';
import { classifySide, relativeTo, type FeatureCodePaths } from './paths';
import { resolveFeature } from './resolve';
import { resolveHints } from './sdk-hints';
import { listSourceFiles } from './source-files';
import { addCardFeatureCode, readFileOrUndefined, readWorkspace } from './workspace';

export interface BuildOptions {
  /** The model features to locate (usually every feature of every model card). */
  features: { name: string; kind?: FeatureKind }[];
  /** Locations recorded by the SDKs with lineage component runs (see `sdkHintsFromTrace`). */
  hints?: FeatureHint[];
  /** Model cards whose `feature_code` paths classify files; default: the models sightline.json lists. */
  cards?: WorkspaceCard[];
  /** File contents; the language server passes unsaved editor text here. Default: the disk. */
  readText?: (file: string) => string | undefined;
}

/**
 * Where each model feature is defined, on the training and the serving side, from (in order of
 * precedence) sightline.json `features`, SDK-recorded locations, and static discovery in Python,
 * TypeScript/JavaScript and SQL files. Sides are classified only by the configured feature-code
 * paths (sightline.json `featureCode`, model cards' `feature_code`); ambiguous and unmapped
 * features come back as problems.
 */
export function buildFeatureMap(workspaceRoot: string, options: BuildOptions): FeatureMap {
  const root = path.resolve(workspaceRoot);
  const readText = options.readText ?? readFileOrUndefined;
  const ws = readWorkspace(root, readText);
  const problems: FeatureMapProblem[] = [...ws.problems];
  const code: FeatureCodePaths = { training: [...ws.featureCode.training], serving: [...ws.featureCode.serving] };
  for (const c of options.cards ?? readWorkspaceCards(ws, problems)) addCardFeatureCode(code, c.card.feature_code, path.dirname(c.path), root);
  if (code.training.length + code.serving.length === 0) {
    problems.push({ code: 'no_feature_code', message: `${ws.configPath}: no "featureCode" paths, so no definition can be told training or serving; add "featureCode": { "training": …, "serving": … }` });
  }

  const names = new Set(options.features.map((f) => f.name));
  const files = new FileIndex(readText, names);
  const scanned = listSourceFiles(root, code);
  const statics = new Map<string, CodeLocation[]>();
  for (const file of scanned) {
    const side = classifySide(file, code);
    for (const c of files.candidates(file)) {
      const list = statics.get(c.name) ?? [];
      list.push(toLocation(c, file, root, side, 'static'));
      statics.set(c.name, list);
    }
  }
  const hints = resolveHints(options.hints ?? [], root, code, scanned, files);
  problems.push(...hints.problems);

  const features = [];
  const seen = new Set<string>();
  for (const f of options.features) {
    if (seen.has(f.name)) continue; // the same feature in several model versions
    seen.add(f.name);
    const config: Partial<Record<FeatureSide, CodeLocation>> = {};
    for (const side of ['training', 'serving'] as const) {
      const spec = ws.features[f.name]?.[side];
      if (!spec) continue;
      const r = configLocation(f.name, side, spec, root, files);
      if (r.location) config[side] = r.location;
      if (r.problem) problems.push(r.problem);
    }
    const resolved = resolveFeature({
      name: f.name, ...(f.kind ? { kind: f.kind } : {}), config,
      sdk: hints.locations.get(f.name) ?? [], statics: statics.get(f.name) ?? [],
    });
    features.push(resolved.entry);
    problems.push(...resolved.problems);
  }
  for (const name of Object.keys(ws.features)) {
    if (!names.has(name)) problems.push({ code: 'bad_config', feature: name, message: `${relativeTo(root, ws.configPath)}: "features" maps ${name}, which no model card declares` });
  }
  return { root, features, problems };
}
