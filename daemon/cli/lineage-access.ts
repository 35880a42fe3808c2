import type { FlagRequest, FlagResponse, ReviewQuery, ReviewResult, TraceQuery, TraceResult } from '../../protocol';
import { Lineage } from '../lineage/service';
import { requireDaemon } from './connect';
import { closeTrace, openTrace } from './trace-access';

/** What lineage commands need, the same whether a daemon answers or a trace file is opened in-process. */
export interface LineageApi {
  trace(q: TraceQuery): Promise<TraceResult>;
  review(q: ReviewQuery): Promise<ReviewResult>;
  flag(req: FlagRequest): Promise<FlagResponse>;
}

/**
 * With `--trace FILE`: the daemon holding that file if there is one, else the file in-process
 * (read-only unless `write`). Without: the running daemon. Queries go over the WebSocket (the
 * editor's path), flags over HTTP.
 */
export async function withLineage<T>(trace: string | undefined, opts: { write: boolean }, fn: (api: LineageApi) => Promise<T>): Promise<T> {
  if (trace) {
    const access = await openTrace(trace, opts);
    try {
      if (access.kind === 'file') {
        const lineage = new Lineage(access.store);
        return await fn({ trace: (q) => lineage.trace(q), review: (q) => lineage.review(q), flag: (r) => lineage.flag(r) });
      }
      return await viaDaemon(access.client, fn);
    } finally {
      closeTrace(access);
    }
  }
  const { client } = await requireDaemon();
  return viaDaemon(client, fn);
}

async function viaDaemon<T>(client: import('../../clients/typescript/client').SightlineClient, fn: (api: LineageApi) => Promise<T>): Promise<T> {
  let stream: import('../../clients/typescript/client').StreamConnection | null = null;
  const ws = async () => (stream ??= await client.stream());
  try {
    return await fn({
      trace: async (q) => (await ws()).query<TraceResult>('trace', q),
      review: async (q) => (await ws()).query<ReviewResult>('review', q),
      flag: (r) => client.request<FlagResponse>('POST', '/v1/flags', r),
    });
  } finally {
    (stream as import('../../clients/typescript/client').StreamConnection | null)?.close();
  }
}
