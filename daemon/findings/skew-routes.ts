import { SightlineError, SkewRequest } from '../../protocol';
import type { Engine } from '../engine';
import type { HttpServer } from '../server/http-server';
import { replaceFindings } from './findings-store';
import { skewOnTrace, type SkewRunResult } from './skew-run';

/**
 * Runs a skew analysis on the engine's trace (its logged predictions are the served side);
 * with `save`, the skewed features replace this analysis' previous skew findings (same model and
 * training side) and are published on the stream — an empty set publishes a `cleared` marker.
 */
export async function runSkew(engine: Engine, req: SkewRequest): Promise<SkewRunResult> {
  // Predictions answered a moment ago may still sit in the writer's queue.
  await engine.writer.flush();
  const result = await skewOnTrace(engine.store, req);
  if (req.save) {
    const stored = await replaceFindings(engine.store, { kind: 'skew', model_name: result.modelName, baseline: result.baseline }, result.findings);
    engine.hub.publish('finding', stored.length ? stored : [{ kind: 'skew', cleared: true, baseline: result.baseline, model_name: result.modelName }]);
  }
  return result;
}

/** `POST /v1/skew` (the CLI uses it when a daemon holds the trace) and the `skew` WebSocket query. */
export function registerSkewRoutes(engine: Engine, http: HttpServer): void {
  http.registerRoute('POST', '/v1/skew', async (body) => runSkew(engine, await body(SkewRequest, 'skew request')));
  http.registerQuery('skew', async (params) => {
    const p = SkewRequest.safeParse(params);
    if (!p.success) throw new SightlineError('invalid_request', `skew query: ${p.error.issues[0]?.message ?? 'invalid'}`);
    return runSkew(engine, p.data);
  });
}
