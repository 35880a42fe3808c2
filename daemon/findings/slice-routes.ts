import { computeFreshness } from '../analysis/freshness';
import { FreshnessRequest, SightlineError, SlicesRequest, type FreshnessReport, type SlicesResult } from '../../protocol';
import type { Engine } from '../engine';
import type { HttpServer } from '../server/http-server';
import { replaceFindings } from './findings-store';
import { SLICE_BASELINE, slicesOnTrace } from './slice-run';

/**
 * Failing slices of the engine's trace; with `save`, they replace this model's previous slice
 * findings and are published on the stream (`finding` events; an empty result publishes a
 * `cleared` marker, as drift does).
 */
export async function runSlices(engine: Engine, req: SlicesRequest): Promise<SlicesResult> {
  const result = await slicesOnTrace(engine.store, req);
  let saved: number | null = null;
  if (req.save) {
    const stored = await replaceFindings(engine.store, { kind: 'slice', model_name: result.modelName, baseline: SLICE_BASELINE }, result.findings);
    engine.hub.publish('finding', stored.length ? stored : [{ kind: 'slice', cleared: true, baseline: SLICE_BASELINE, model_name: result.modelName }]);
    saved = stored.length;
  }
  return { report: result.report, window: result.window, model_name: result.modelName, saved };
}

/** Freshness of the engine's trace (see daemon/analysis/freshness.ts). */
export async function runFreshness(engine: Engine, req: FreshnessRequest): Promise<FreshnessReport> {
  let now: Date | undefined;
  if (req.now !== undefined) {
    now = new Date(req.now);
    if (Number.isNaN(now.getTime())) throw new SightlineError('invalid_request', `now: ${JSON.stringify(req.now)} is not an ISO time`);
  }
  return computeFreshness(engine.store.conn, { ...(req.model ? { model: req.model } : {}), ...(now ? { now } : {}), limits: req.limits });
}

/** `POST /v1/slices`, `POST /v1/freshness`, and the `slices` WebSocket query. */
export function registerSliceRoutes(engine: Engine, http: HttpServer): void {
  http.registerRoute('POST', '/v1/slices', async (body) => runSlices(engine, await body(SlicesRequest, 'slices request')));
  http.registerRoute('POST', '/v1/freshness', async (body) => runFreshness(engine, await body(FreshnessRequest, 'freshness request')));
  http.registerQuery('slices', async (params) => {
    const p = SlicesRequest.safeParse(params ?? {});
    if (!p.success) throw new SightlineError('invalid_request', `slices query: ${p.error.issues[0]?.message ?? 'invalid'}`);
    return runSlices(engine, p.data);
  });
}
