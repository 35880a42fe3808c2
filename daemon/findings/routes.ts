import { z } from 'zod';
import { SightlineError } from '../../protocol';
import { addBaseline, listBaselines, MAX_QUERY_CHARS } from '../baselines/baseline-store';
import type { Engine } from '../engine';
import type { HttpServer } from '../server/http-server';
import { driftOnTrace } from './drift-run';
import { listFindings, replaceFindings } from './findings-store';
import { qualityOnTrace } from './quality-run';

export const WindowSpecSchema = z.object({
  model: z.string().max(300).optional(),
  since: z.string().max(40).optional(),
  until: z.string().max(40).optional(),
  last: z.number().int().positive().optional(),
  source: z.string().max(100).optional(),
});

export const DriftRunRequestSchema = z.object({
  baseline: z.string().min(1).max(100),
  window: WindowSpecSchema.default({}),
  features: z.array(z.string()).optional(),
  thresholds: z.record(z.string(), z.object({ wasserstein_norm: z.number().positive().optional(), psi: z.number().positive().optional(), js: z.number().positive().optional() })).optional(),
  /** Store drifted features as findings (replacing the previous drift findings of this model and baseline) and publish them. */
  save: z.boolean().default(false),
});

/** A baseline from a FILE or from one SELECT `query` (exactly one; addBaseline checks), relative paths read from `cwd`. */
export const AddBaselineRequestSchema = z.object({
  name: z.string().min(1).max(100),
  file: z.string().min(1).optional(),
  query: z.string().min(1).max(MAX_QUERY_CHARS).optional(),
  cwd: z.string().min(1).max(4096).optional(),
  categorical: z.array(z.string()).optional(),
  replace: z.boolean().default(false),
});

export const QualityRunRequestSchema = z.object({
  baseline: z.string().min(1).max(100),
  window: WindowSpecSchema.default({}),
  expectedRows: z.number().int().positive().optional(),
  save: z.boolean().default(false),
});

/** Runs a quality check on the engine's trace; saves and publishes findings when asked. */
export async function runQuality(engine: Engine, req: z.infer<typeof QualityRunRequestSchema>) {
  const result = await qualityOnTrace(engine.store, req);
  if (req.save) {
    const stored = await replaceFindings(engine.store, { kind: 'quality', model_name: result.modelName, baseline: result.baseline }, result.findings);
    engine.hub.publish('finding', stored.length ? stored : [{ kind: 'quality', cleared: true, baseline: result.baseline, model_name: result.modelName }]);
  }
  return result;
}

/** Runs a drift analysis on the engine's trace; saves and publishes findings when asked. */
export async function runDrift(engine: Engine, req: z.infer<typeof DriftRunRequestSchema>) {
  const result = await driftOnTrace(engine.store, req);
  if (req.save) {
    const stored = await replaceFindings(engine.store, { kind: 'drift', model_name: result.modelName, baseline: result.baseline }, result.findings);
    engine.hub.publish('finding', stored.length ? stored : [{ kind: 'drift', cleared: true, baseline: result.baseline, model_name: result.modelName }]);
  }
  return result;
}

/** Analysis routes of the daemon (the CLI uses them when a daemon holds the trace file). */
export function registerAnalysisRoutes(engine: Engine, http: HttpServer): void {
  http.registerRoute('POST', '/v1/baselines', async (body) => addBaseline(engine.store, await body(AddBaselineRequestSchema, 'baseline')));
  http.registerRoute('GET', '/v1/baselines', async () => ({ baselines: await listBaselines(engine.store) }));
  http.registerRoute('POST', '/v1/drift', async (body) => runDrift(engine, await body(DriftRunRequestSchema, 'drift request')));
  http.registerRoute('POST', '/v1/quality', async (body) => runQuality(engine, await body(QualityRunRequestSchema, 'quality request')));
  http.registerRoute('GET', '/v1/findings', async (_body, url) => ({
    findings: await listFindings(engine.store, { ...(url.searchParams.get('kind') ? { kind: url.searchParams.get('kind')! } : {}), ...(url.searchParams.get('feature') ? { feature: url.searchParams.get('feature')! } : {}) }),
  }));
  http.registerQuery('findings', async (params) => {
    const p = z.object({ kind: z.string().optional(), feature: z.string().optional() }).default({}).safeParse(params ?? {});
    if (!p.success) throw new SightlineError('invalid_request', 'findings query params: { kind?, feature? }');
    return { findings: await listFindings(engine.store, p.data) };
  });
  http.registerQuery('drift', async (params) => {
    const p = DriftRunRequestSchema.safeParse(params);
    if (!p.success) throw new SightlineError('invalid_request', `drift query: ${p.error.issues[0]?.message ?? 'invalid'}`);
    return runDrift(engine, p.data);
  });
}
