import { MarkExpectedArgs, SightlineError, type Suppression } from '../../protocol';
import type { Catalog } from './catalog';
import { isAbove } from './judge';
import { addSuppressions } from './suppressions';

/**
 * `sightline.markExpected`: records every current above-threshold finding of that kind on that
 * feature as expected, keyed by the definitions' text hash and the finding's baseline and window,
 * so new code or new data brings it back.
 */
export function markExpected(catalog: Catalog, rawArgs: unknown): { suppressed: number } {
  const parsed = MarkExpectedArgs.safeParse(rawArgs);
  if (!parsed.success) throw new SightlineError('invalid_request', `sightline.markExpected needs { feature, kind, root }: ${parsed.error.issues[0]?.message ?? ''}`);
  const args = parsed.data;
  const view = catalog.views.find((v) => v.root === args.root);
  const entry = view?.map.features.find((f) => f.name === args.feature);
  if (!view || !entry) throw new SightlineError('not_found', `feature ${args.feature} is not in the Sightline workspace ${args.root}`);
  const ff = catalog.findings(view, entry.name);
  const list = args.kind === 'slice' ? ff.slices : ff[args.kind];
  const hash = catalog.hash(view, entry);
  const entries: Suppression[] = [];
  for (const f of list.filter(isAbove)) {
    if (entries.some((e) => e.baseline === f.baseline && e.window === f.window_desc)) continue;
    entries.push({ feature: entry.name, kind: args.kind, definition_hash: hash, baseline: f.baseline, window: f.window_desc, created: new Date().toISOString(), finding_id: f.id });
  }
  if (entries.length > 0) addSuppressions(view.root, entries);
  return { suppressed: entries.length };
}
