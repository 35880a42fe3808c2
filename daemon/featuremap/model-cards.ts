import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelCard, type FeatureMapProblem } from '../../protocol';
import { loadModelCard, sidecarPath } from '../runtime/model-card';
import { readOnnxMetadata } from '../runtime/onnx-metadata';
import type { Workspace } from './workspace';

export interface WorkspaceCard {
  card: ModelCard;
  /** The .onnx (or sidecar) it was read from. */
  path: string;
}

/** ONNX files above this size are not read just for their metadata; their sidecar still is. */
const MAX_ONNX_BYTES = 64 << 20;

/**
 * Model cards of the models a workspace lists (`models` in sightline.json): the card embedded in
 * the ONNX file merged with its sidecar, exactly as the daemon reads it. A card that cannot be
 * read becomes a `bad_config` problem; the rest still count.
 */
export function readWorkspaceCards(ws: Workspace, problems: FeatureMapProblem[]): WorkspaceCard[] {
  const out: WorkspaceCard[] = [];
  for (const model of expand(ws.models)) {
    try {
      const side = sidecarPath(model);
      if (existsSync(model) && statSync(model).size <= MAX_ONNX_BYTES) {
        out.push({ card: loadModelCard(model, readOnnxMetadata(readFileSync(model)), []), path: model });
      } else if (existsSync(side)) {
        out.push({ card: ModelCard.parse(JSON.parse(readFileSync(side, 'utf8'))), path: side });
      } else {
        problems.push({ code: 'bad_config', message: `${ws.configPath}: model ${path.relative(ws.root, model)} not found` });
      }
    } catch (err) {
      problems.push({ code: 'bad_config', message: `model card of ${path.relative(ws.root, model)}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return out;
}

function expand(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    try {
      if (statSync(p).isDirectory()) {
        out.push(...readdirSync(p).filter((f) => f.toLowerCase().endsWith('.onnx')).sort().map((f) => path.join(p, f)));
        continue;
      }
    } catch {
      /* missing: reported by the caller */
    }
    out.push(p);
  }
  return out;
}
