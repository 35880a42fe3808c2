/** `baselines`: the named baselines of the trace (for the drift view's baseline picker). */
import type { BaselinesResult } from '../../protocol';
import { isoFromMs, jsonValue, type QueryContext } from './context';

export async function listBaselineSummaries(ctx: QueryContext): Promise<BaselinesResult> {
  const rows = await ctx.store.query<Record<string, unknown>>(
    'SELECT name, source, rows, epoch_ms(created)::DOUBLE AS created, profile::VARCHAR AS profile FROM baselines ORDER BY name',
  );
  return {
    baselines: rows.map((r) => {
      const profile = jsonValue(r.profile) as { features?: Array<{ name?: unknown; kind?: unknown }> } | null;
      return {
        name: String(r.name),
        source: String(r.source ?? ''),
        rows: Number(r.rows ?? 0),
        created: r.created === null || r.created === undefined ? '' : isoFromMs(r.created),
        features: (profile?.features ?? []).map((f) => ({ name: String(f.name), kind: String(f.kind) })),
      };
    }),
    relative: ['previous', 'week-ago'],
  };
}
