/**
 * The daemon's side of replay, evaluation and comparison, so that the editor's "Replay Traffic",
 * "Run Evaluation" and "Compare Models" run the same engine as the CLI in CI:
 * `POST /v1/replay`, `POST /v1/eval`, `POST /v1/compare`, and the WebSocket queries `replay`,
 * `eval`, `compare` (same bodies; no HTTP timeout for long runs). Progress is published as
 * `run_progress` events; the runs are stored in the daemon's trace.
 */
import { CompareRequest, EvalRequest, ReplayRequest, SightlineError, type CompareReport, type ReplayReport } from '../../protocol';
import { compareOnTrace, saveComparison } from '../compare/run';
import type { Engine } from '../engine';
import type { HttpServer } from '../server/http-server';
import { runEval, runReplay } from './run';

export async function compareOnEngine(engine: Engine, req: CompareRequest): Promise<CompareReport> {
  await engine.writer.flush().catch(() => undefined);
  const report = await compareOnTrace(engine.store, req);
  return req.save && !engine.store.readOnly ? saveComparison(engine.store, report, req) : report;
}

export function registerReplayRoutes(engine: Engine, http: HttpServer): void {
  const replay = async (req: ReplayRequest): Promise<ReplayReport> => {
    // Predictions still queued are part of the traffic a replay of this trace reads.
    await engine.writer.flush().catch(() => undefined);
    return runReplay(engine, req);
  };
  http.registerRoute('POST', '/v1/replay', async (body) => replay(await body(ReplayRequest, 'replay request')));
  http.registerRoute('POST', '/v1/eval', async (body) => runEval(engine, await body(EvalRequest, 'eval request')));
  http.registerRoute('POST', '/v1/compare', async (body) => compareOnEngine(engine, await body(CompareRequest, 'compare request')));
  http.registerQuery('replay', async (params) => replay(parse(ReplayRequest, params, 'replay')));
  http.registerQuery('eval', async (params) => runEval(engine, parse(EvalRequest, params, 'eval')));
  http.registerQuery('compare', async (params) => compareOnEngine(engine, parse(CompareRequest, params, 'compare')));
}

function parse<T extends { safeParse: (v: unknown) => { success: true; data: unknown } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }>(schema: T, params: unknown, what: string): ReturnType<T['safeParse']> extends { success: true; data: infer D } ? D : never {
  const r = schema.safeParse(params ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new SightlineError('invalid_request', `${what} query: ${i?.path.map(String).join('.') || 'params'}: ${i?.message ?? 'invalid'}`, i?.path.filter((p): p is string | number => typeof p !== 'symbol'));
  }
  return r.data as never;
}
