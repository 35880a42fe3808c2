/**
 * The daemon's side of replay, evaluation and comparison, so that the editor's "Replay Traffic",
 * "Run Evaluation" and "Compare Models" run the same engine as the CLI in CI:
 * `POST /v1/replay`, `POST /v1/eval`, `POST /v1/compare`, and the WebSocket queries `replay`,
 * `eval`, `compare` (same bodies; no HTTP timeout for long runs). Progress is published as
 * `run_progress` events; the runs are stored in the daemon's trace.
 *
 * Cancellation: a replay or eval is aborted when the client that started it goes away (its
 * WebSocket closes, its HTTP connection drops), or on `POST /v1/replay/cancel` / the query
 * `cancel_run` with the run's id (from its `run_progress` events). The run then stops after the
 * batch in flight and is stored with status `cancelled`.
 */
import { CancelRunRequest, CompareRequest, EvalRequest, ReplayRequest, SightlineError, type CancelRunResult, type CompareReport, type EvalRequest as EvalRequestT, type ReplayReport, type ReplayRequest as ReplayRequestT, type RunProgress } from '../../protocol';
import { compareOnTrace, saveComparison } from '../compare/run';
import type { Engine } from '../engine';
import type { HttpServer, RequestContext } from '../server/http-server';
import { executeRun, type RunSpec } from './run';

export async function compareOnEngine(engine: Engine, req: CompareRequest): Promise<CompareReport> {
  await engine.writer.flush().catch(() => undefined);
  const report = await compareOnTrace(engine.store, req);
  return req.save && !engine.store.readOnly ? saveComparison(engine.store, report, req) : report;
}

/** The replays and evaluations running on a daemon, by run id, each with the controller that aborts it. */
export class ActiveRuns {
  private readonly runs = new Map<string, AbortController>();

  /** Runs `spec` until done, aborted when `callerGone` aborts or `cancel(run_id)` is called. */
  async run(engine: Engine, spec: RunSpec, callerGone: AbortSignal | undefined): Promise<ReplayReport> {
    const controller = new AbortController();
    const onGone = (): void => controller.abort(callerGone?.reason ?? 'the client went away');
    if (callerGone?.aborted) onGone();
    callerGone?.addEventListener('abort', onGone, { once: true });
    let id: string | null = null;
    try {
      return await executeRun(engine, spec, {
        signal: controller.signal,
        onProgress: (p: RunProgress) => {
          if (id === null) {
            id = p.run_id;
            this.runs.set(id, controller);
          }
        },
      });
    } finally {
      callerGone?.removeEventListener('abort', onGone);
      if (id !== null) this.runs.delete(id);
    }
  }

  cancel(runId: string, reason = 'cancel_run'): CancelRunResult {
    const c = this.runs.get(runId);
    if (!c || c.signal.aborted) return { run_id: runId, cancelled: false };
    c.abort(reason);
    return { run_id: runId, cancelled: true };
  }
}

export function registerReplayRoutes(engine: Engine, http: HttpServer): ActiveRuns {
  const active = new ActiveRuns();
  const replay = async (req: ReplayRequestT, ctx: RequestContext | undefined): Promise<ReplayReport> => {
    // Predictions still queued are part of the traffic a replay of this trace reads.
    await engine.writer.flush().catch(() => undefined);
    return active.run(engine, { kind: 'replay', req }, ctx?.signal);
  };
  const evaluate = (req: EvalRequestT, ctx: RequestContext | undefined): Promise<ReplayReport> => active.run(engine, { kind: 'eval', req }, ctx?.signal);
  http.registerRoute('POST', '/v1/replay', async (body, _url, ctx) => replay(await body(ReplayRequest, 'replay request'), ctx));
  http.registerRoute('POST', '/v1/eval', async (body, _url, ctx) => evaluate(await body(EvalRequest, 'eval request'), ctx));
  http.registerRoute('POST', '/v1/replay/cancel', async (body) => active.cancel((await body(CancelRunRequest, 'cancel request')).run_id, 'cancelled by POST /v1/replay/cancel'));
  http.registerRoute('POST', '/v1/compare', async (body) => compareOnEngine(engine, await body(CompareRequest, 'compare request')));
  http.registerQuery('replay', async (params, ctx) => replay(parse(ReplayRequest, params, 'replay'), ctx));
  http.registerQuery('eval', async (params, ctx) => evaluate(parse(EvalRequest, params, 'eval'), ctx));
  http.registerQuery('cancel_run', async (params) => {
    const q: { run_id: string } = parse(CancelRunRequest, params, 'cancel_run');
    return active.cancel(q.run_id, 'cancelled by the cancel_run query');
  });
  http.registerQuery('compare', async (params) => compareOnEngine(engine, parse(CompareRequest, params, 'compare')));
  return active;
}

function parse<T extends { safeParse: (v: unknown) => { success: true; data: unknown } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }>(schema: T, params: unknown, what: string): ReturnType<T['safeParse']> extends { success: true; data: infer D } ? D : never {
  const r = schema.safeParse(params ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new SightlineError('invalid_request', `${what} query: ${i?.path.map(String).join('.') || 'params'}: ${i?.message ?? 'invalid'}`, i?.path.filter((p): p is string | number => typeof p !== 'symbol'));
  }
  return r.data as never;
}
