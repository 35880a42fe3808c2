import type { CodeLocation, FeatureKind, FeatureMapEntry, FeatureMapProblem, FeatureSide } from '../../protocol';
import { RANK } from './candidate';
import { describe, sameLine } from './locate';

export interface FeatureEvidence {
  name: string;
  kind?: FeatureKind;
  /** Locations from sightline.json `features`, per side. */
  config: Partial<Record<FeatureSide, CodeLocation>>;
  /** SDK-recorded locations (side already classified). */
  sdk: CodeLocation[];
  /** Static discovery (side already classified). */
  statics: CodeLocation[];
}

interface SidePick {
  chosen?: CodeLocation;
  ambiguous?: CodeLocation[];
}

const SIDES: FeatureSide[] = ['training', 'serving'];

/**
 * Decides one feature's definitions: per side, config beats SDK beats static discovery; within
 * static discovery the best rank wins. Several distinct definitions at the winning level make the
 * side ambiguous: it is left empty and reported, never picked at random.
 */
export function resolveFeature(ev: FeatureEvidence): { entry: FeatureMapEntry; problems: FeatureMapProblem[] } {
  const picks = {} as Record<FeatureSide, SidePick>;
  for (const side of SIDES) picks[side] = pickSide(side, ev);
  const problems: FeatureMapProblem[] = [];
  const chosen = SIDES.map((s) => picks[s].chosen).filter((l): l is CodeLocation => l !== undefined);
  const all = [...ev.sdk, ...ev.statics];
  const others: CodeLocation[] = [];
  for (const l of all) if (!chosen.some((c) => sameLine(c, l)) && !others.some((o) => sameLine(o, l))) others.push(l);
  others.sort((a, b) => RANK[b.kind] - RANK[a.kind] || a.relative.localeCompare(b.relative) || a.line - b.line);

  for (const side of SIDES) {
    const amb = picks[side].ambiguous;
    if (amb) {
      problems.push({
        code: 'ambiguous', feature: ev.name, side, candidates: amb,
        message: `${ev.name}: ${amb.length} equally likely ${side} definitions (${amb.map(describe).join(', ')}); say which in sightline.json "features"`,
      });
    }
  }
  const ambiguous = SIDES.some((s) => picks[s].ambiguous);
  const { training, serving } = { training: picks.training.chosen, serving: picks.serving.chosen };
  if (!ambiguous && !training && !serving) {
    if (others.length > 0) {
      problems.push({
        code: 'outside_feature_code', feature: ev.name, candidates: others.slice(0, 10),
        message: `${ev.name}: found only outside the training and serving feature code (${others.slice(0, 3).map(describe).join(', ')}); check "featureCode" in sightline.json`,
      });
    } else {
      problems.push({ code: 'unmapped', feature: ev.name, message: `${ev.name}: no definition found; map it in sightline.json "features"` });
    }
  } else if (!ambiguous && (!training || !serving)) {
    const missing: FeatureSide = training ? 'serving' : 'training';
    problems.push({ code: 'missing_side', feature: ev.name, side: missing, message: `${ev.name}: no ${missing} definition found` });
  }
  const sources = chosen.map((c) => c.source);
  const entry: FeatureMapEntry = {
    name: ev.name,
    ...(ev.kind ? { kind: ev.kind } : {}),
    ...(training ? { training } : {}),
    ...(serving ? { serving } : {}),
    others: others.slice(0, 50),
    status: ambiguous ? 'ambiguous' : training || serving ? 'mapped' : 'unmapped',
    source: sources.includes('config') ? 'config' : sources.includes('sdk') ? 'sdk' : 'static',
  };
  return { entry, problems };
}

function pickSide(side: FeatureSide, ev: FeatureEvidence): SidePick {
  const fromConfig = ev.config[side];
  if (fromConfig) return { chosen: fromConfig };
  const sdk = distinct(ev.sdk.filter((l) => l.side === side));
  if (sdk.length === 1) return { chosen: sdk[0] };
  if (sdk.length > 1) return { ambiguous: sdk };
  const own = ev.statics.filter((l) => l.side === side);
  if (own.length === 0) return {};
  const best = Math.max(...own.map((l) => RANK[l.kind]));
  const top = distinct(own.filter((l) => RANK[l.kind] === best));
  return top.length === 1 ? { chosen: top[0] } : { ambiguous: top };
}

function distinct(list: CodeLocation[]): CodeLocation[] {
  const out: CodeLocation[] = [];
  for (const l of list) if (!out.some((o) => sameLine(o, l))) out.push(l);
  return out;
}
