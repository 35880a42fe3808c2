import type { Finding } from '../../protocol';
import { qualityDetails, sliceDetails, sliceFeatures } from './finding-details';

export type Severity = 'error' | 'warning' | 'information';

/**
 * Score relative to threshold. A null score is +∞ by the findings contract (e.g. drift against a
 * constant reference); a missing threshold cannot be judged and yields null.
 */
export function ratio(f: Finding): number | null {
  if (f.score === null) return Number.POSITIVE_INFINITY;
  if (f.threshold === null) return null;
  if (f.threshold <= 0) return f.score > 0 ? Number.POSITIVE_INFINITY : 1;
  return f.score / f.threshold;
}

/** Findings are written when above threshold, but a writer may also record calm results; check. */
export function isAbove(f: Finding): boolean {
  const r = ratio(f);
  return r === null || r >= 1;
}

/**
 * Error at ≥ 2× the threshold, Warning at ≥ 1×, Information for slices (a slice is a lead to
 * look at, not a defect in the code); a quality finding's own severity wins when it has one.
 */
export function severityOf(f: Finding): Severity | null {
  if (!isAbove(f)) return null;
  if (f.kind === 'slice') return 'information';
  if (f.kind === 'quality') {
    const s = qualityDetails(f).severity?.toLowerCase();
    if (s === 'error' || s === 'critical') return 'error';
    if (s === 'warning' || s === 'warn') return 'warning';
    if (s === 'info' || s === 'information') return 'information';
  }
  const r = ratio(f);
  return r !== null && r >= 2 ? 'error' : 'warning';
}

export interface FeatureFindings {
  drift: Finding[];
  skew: Finding[];
  quality: Finding[];
  slices: Finding[];
}

/**
 * The current findings: the trace keeps every analysis ever run, so only the newest finding per
 * (kind, feature, model, metric, quality check / slice predicates) counts.
 */
export function latest(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const extra = f.kind === 'quality' ? qualityDetails(f).check ?? '' : f.kind === 'slice' ? JSON.stringify(sliceDetails(f).predicates ?? []) : '';
    const key = [f.kind, f.feature ?? '', f.model_name ?? '', f.metric ?? '', extra].join('\u0000');
    const prev = byKey.get(key);
    if (!prev || prev.time < f.time || (prev.time === f.time && prev.id < f.id)) byKey.set(key, f);
  }
  return [...byKey.values()];
}

/**
 * Current findings grouped by the feature they concern. `models` limits them to the models a
 * workspace declares (another model in the same trace may share a feature name); empty = all.
 */
export function byFeature(findings: Finding[], models: ReadonlySet<string> = new Set()): Map<string, FeatureFindings> {
  const out = new Map<string, FeatureFindings>();
  const get = (name: string): FeatureFindings => {
    let g = out.get(name);
    if (!g) out.set(name, (g = { drift: [], skew: [], quality: [], slices: [] }));
    return g;
  };
  for (const f of latest(findings)) {
    if (models.size > 0 && f.model_name !== null && !models.has(f.model_name)) continue;
    if (f.kind === 'slice') for (const name of sliceFeatures(f)) get(name).slices.push(f);
    else if (f.feature) get(f.feature)[f.kind].push(f);
  }
  for (const g of out.values()) for (const list of Object.values(g) as Finding[][]) list.sort(byRatioDesc);
  return out;
}

export function byRatioDesc(a: Finding, b: Finding): number {
  return (ratio(b) ?? 1) - (ratio(a) ?? 1) || (a.model_name ?? '').localeCompare(b.model_name ?? '');
}
