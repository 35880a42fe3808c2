/**
 * Redaction of the small JSON documents an export copies (findings' details, baseline profiles):
 * every string that is a value of a redacted column is replaced — by its keyed hash, or by
 * `[redacted]` for a dropped column — wherever it sits (histogram categories, skew examples,
 * unseen-category lists). Pure; which strings are such values is looked up in SQL (export-values.ts).
 */

export const REDACTED = '[redacted]';

/** Every string leaf of a JSON value (object keys are names, not values, and are left out). */
export function collectStrings(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, into);
  return into;
}

/** A copy of `value` with each string leaf that `replace` knows swapped for its replacement. */
export function scrubStrings(value: unknown, replace: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return replace.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => scrubStrings(v, replace));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubStrings(v, replace)]));
  }
  return value;
}

/** A baseline profile without the entries of dropped columns, other values scrubbed. */
export function scrubProfile(profile: unknown, dropped: ReadonlySet<string>, replace: ReadonlyMap<string, string>): unknown {
  const p = scrubStrings(profile, replace);
  if (p && typeof p === 'object' && Array.isArray((p as { features?: unknown }).features)) {
    const features = (p as { features: unknown[] }).features.filter((f) => !(f && typeof f === 'object' && dropped.has(String((f as { name?: unknown }).name))));
    return { ...(p as object), features };
  }
  return p;
}

export interface FindingLike {
  feature: string | null;
  details: unknown;
}

/**
 * Findings about a dropped column are left out (their histograms are that column's values);
 * the rest keep their shape with redacted values swapped.
 */
export function scrubFindings<T extends FindingLike>(findings: readonly T[], dropped: ReadonlySet<string>, replace: ReadonlyMap<string, string>): { kept: T[]; removed: number } {
  const kept: T[] = [];
  let removed = 0;
  for (const f of findings) {
    if (f.feature !== null && dropped.has(f.feature)) {
      removed++;
      continue;
    }
    kept.push({ ...f, details: scrubStrings(f.details, replace) });
  }
  return { kept, removed };
}

/** Whether a finding's `examples` (anywhere in its details) mention one of `keys`. */
export function mentionsInExamples(details: unknown, keys: ReadonlySet<string>): boolean {
  if (Array.isArray(details)) return details.some((d) => mentionsInExamples(d, keys));
  if (!details || typeof details !== 'object') return false;
  for (const [k, v] of Object.entries(details)) {
    if (k === 'examples' && Array.isArray(v) && v.some((e) => [...collectStrings(e)].some((s) => keys.has(s)))) return true;
    if (mentionsInExamples(v, keys)) return true;
  }
  return false;
}
