/**
 * `sightline review`: which component runs, artifacts and models are most associated with
 * flagged predictions. Every prediction's upstream graph is its model's, so the traces are
 * counted per model: for each node, how many flagged and unflagged predictions have it in their
 * trace. Nodes are ranked by effect size (difference in proportions) among those significant
 * after Benjamini–Hochberg on Fisher's exact test, never by raw counts. Pure.
 */
import type { ReviewEntry } from '../../protocol';
import { walkUpstream } from './graph';
import { runLabel, shortHash, type LineageIndex, type ModelRow } from './snapshot';
import { benjaminiHochberg, differenceInProportions, fisherExact, logOddsRatio } from './statistics';

export interface ModelCounts {
  model_id: string;
  model_name: string;
  model_version: string;
  /** Predictions of this model, and how many of them are flagged. */
  total: number;
  flagged: number;
}

export interface ReviewOptions {
  alpha: number;
  limit: number;
}

export interface ReviewRanking {
  flagged: number;
  unflagged: number;
  models: number;
  entries: ReviewEntry[];
}

interface Candidate {
  kind: ReviewEntry['kind'];
  id: string;
  label: string;
  /** Furthest distance from a model among the traces holding it: upstream nodes come first on ties. */
  depth: number;
  models: Set<string>;
}

const KIND_ORDER: Record<ReviewEntry['kind'], number> = { run: 0, artifact: 1, model: 2 };

export const REVIEW_METHOD = 'difference in proportions of flagged vs unflagged traces holding the node; Fisher exact test (two-sided); Benjamini–Hochberg';

export function rankReview(counts: ModelCounts[], index: LineageIndex, options: ReviewOptions): ReviewRanking {
  const live = counts.filter((c) => c.total > 0);
  const flaggedTotal = live.reduce((s, c) => s + c.flagged, 0);
  const unflaggedTotal = live.reduce((s, c) => s + (c.total - c.flagged), 0);
  const byModel = new Map(live.map((c) => [c.model_id, c]));

  const candidates = new Map<string, Candidate>();
  for (const c of live) {
    const model: ModelRow = index.models.get(c.model_id) ?? { id: c.model_id, name: c.model_name, version: c.model_version, path: null, first_seen: null, training_run_id: null, features: [] };
    const walk = walkUpstream({ type: 'model', model }, index);
    for (const [key, node] of walk.nodes) {
      if (node.type === 'prediction') continue;
      const d = walk.depth.get(key) ?? 0;
      let cand = candidates.get(key);
      if (!cand) {
        const label = node.type === 'run' ? runLabel(node)
          : node.type === 'artifact' ? `${node.name} (${node.content_hash ? `sha256 ${shortHash(node.content_hash)}` : 'no hash'})`
          : /^[0-9a-f]{64}$/.test(node.id) ? `${node.name}@${node.version} (${shortHash(node.id)})` : `${node.name}@${node.version}`;
        cand = { kind: node.type, id: node.id, label, depth: d, models: new Set() };
        candidates.set(key, cand);
      }
      cand.depth = Math.max(cand.depth, d);
      cand.models.add(c.model_id);
    }
  }

  const list = [...candidates.values()];
  const stats = list.map((cand) => {
    let a = 0;
    let c = 0;
    for (const m of cand.models) {
      const mc = byModel.get(m)!;
      a += mc.flagged;
      c += mc.total - mc.flagged;
    }
    const b = flaggedTotal - a;
    const d = unflaggedTotal - c;
    return { cand, a, b, c, d, p: fisherExact(a, b, c, d), diff: differenceInProportions(a, b, c, d), lor: logOddsRatio(a, b, c, d) };
  });
  const q = benjaminiHochberg(stats.map((s) => s.p));

  const signature = (cand: Candidate): string => [...cand.models].sort().join(',');
  const groups = new Map<string, Candidate[]>();
  for (const cand of list) {
    const sig = signature(cand);
    const g = groups.get(sig);
    if (g) g.push(cand);
    else groups.set(sig, [cand]);
  }

  const rows = stats.map((s, i) => ({ ...s, q: q[i]!, significant: q[i]! < options.alpha && s.diff > 0 }));
  rows.sort((x, y) =>
    Number(y.significant) - Number(x.significant)
    || y.diff - x.diff
    || x.p - y.p
    || y.cand.depth - x.cand.depth
    || KIND_ORDER[x.cand.kind] - KIND_ORDER[y.cand.kind]
    || x.cand.label.localeCompare(y.cand.label));

  const entries: ReviewEntry[] = rows.slice(0, options.limit).map((r, i) => ({
    rank: i + 1,
    kind: r.cand.kind,
    id: r.cand.id,
    label: r.cand.label,
    flagged_with: r.a,
    flagged_total: flaggedTotal,
    unflagged_with: r.c,
    unflagged_total: unflaggedTotal,
    difference: r.diff,
    log_odds_ratio: r.lor,
    p_value: r.p,
    q_value: r.q,
    significant: r.significant,
    same_traces_as: groups.get(signature(r.cand))!.filter((o) => o !== r.cand).map((o) => o.label),
  }));
  return { flagged: flaggedTotal, unflagged: unflaggedTotal, models: live.length, entries };
}
