import { z } from 'zod';
import { DriftDetails, QualityDetails, SkewDetails, SliceDetails, type Finding } from '../../protocol';

/**
 * Reads a finding's `details` field by field: a malformed `examples` must not cost the
 * `mismatch_rate`, nor a malformed histogram the missing rates.
 */
function pick<S extends z.ZodObject>(schema: S, details: Record<string, unknown>): Partial<z.infer<S>> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    if (!(key in details)) continue;
    const r = (field as z.ZodType).safeParse(details[key]);
    if (r.success && r.data !== undefined) out[key] = r.data;
  }
  return out as Partial<z.infer<S>>;
}

export function driftDetails(f: Finding): DriftDetails {
  const d = pick(DriftDetails, f.details);
  if (d.histogram) {
    // Shares inside the histogram (the analysis engine's layout) count like shares beside it.
    d.ref ??= d.histogram.ref;
    d.cur ??= d.histogram.cur;
  }
  // Proportions only make sense against their bins: drop a histogram whose sizes disagree.
  if (d.histogram && d.ref && d.cur) {
    const bins = 'edges' in d.histogram ? d.histogram.edges.length + 1 : d.histogram.categories.length;
    if (d.ref.length !== bins || d.cur.length !== bins) {
      delete d.histogram;
      delete d.ref;
      delete d.cur;
    }
  }
  return d;
}

export function skewDetails(f: Finding): SkewDetails {
  return pick(SkewDetails, f.details);
}

export function sliceDetails(f: Finding): SliceDetails {
  const d = pick(SliceDetails, f.details);
  if (!d.predicates && Array.isArray(f.details.predicates)) {
    // Keep the predicates that are well formed when some are not.
    const ok = f.details.predicates.map((p) => SliceDetailsPredicate.safeParse(p)).filter((r) => r.success).map((r) => r.data!);
    if (ok.length > 0) d.predicates = ok;
  }
  return d;
}

const SliceDetailsPredicate = SliceDetails.shape.predicates.unwrap().element;

export function qualityDetails(f: Finding): QualityDetails {
  return pick(QualityDetails, f.details);
}

/** Features a slice finding involves: its predicates' features, else the row's `feature`. */
export function sliceFeatures(f: Finding): string[] {
  const preds = sliceDetails(f).predicates ?? [];
  const names = preds.map((p) => p.feature);
  if (f.feature && !names.includes(f.feature)) names.push(f.feature);
  return names;
}
