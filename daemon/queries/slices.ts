/**
 * `slices`: failing slices of the logged predictions for the editor's slice table (SlicesRequest →
 * SlicesResult of protocol/slices.ts), computed by the slice analysis (daemon/findings/slice-run.ts).
 * If the slices module registers its own `slices` query later, that registration replaces this one.
 */
import { SlicesRequest, type SlicesResult } from '../../protocol';
import { replaceFindings } from '../findings/findings-store';
import { SLICE_BASELINE, slicesOnTrace } from '../findings/slice-run';
import { parseParams, type QueryContext } from './context';

export async function failingSlices(ctx: QueryContext, params: unknown): Promise<SlicesResult> {
  const q = parseParams(SlicesRequest, params, 'slices');
  await ctx.writer.flush();
  const result = await slicesOnTrace(ctx.store, q);
  let saved: number | null = null;
  if (q.save) {
    const stored = await replaceFindings(ctx.store, { kind: 'slice', model_name: result.modelName, baseline: SLICE_BASELINE }, result.findings);
    ctx.hub?.publish('finding', stored.length ? stored : [{ kind: 'slice', cleared: true, baseline: SLICE_BASELINE, model_name: result.modelName }]);
    saved = stored.length;
  }
  return { report: result.report, window: result.window, model_name: result.modelName, saved };
}
