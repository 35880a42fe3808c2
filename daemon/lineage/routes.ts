/**
 * Lineage on the wire. HTTP: `POST /v1/runs`, `POST /v1/flags`, `POST /v1/trace`, `POST /v1/review`.
 * WebSocket queries (for the editor): `trace`, `review`. Bodies and params are validated with
 * their zod schemas before anything happens.
 */
import { FlagRequest, ReviewQuery, RunRequest, TraceQuery } from '../../protocol';
import type { HttpServer } from '../server/http-server';
import type { Lineage } from './service';

export function registerLineageRoutes(http: HttpServer, lineage: Lineage): void {
  http.registerRoute('POST', '/v1/runs', async (body) => lineage.logRun(await body(RunRequest, 'run')));
  http.registerRoute('POST', '/v1/flags', async (body) => lineage.flag(await body(FlagRequest, 'flag request')));
  http.registerRoute('POST', '/v1/trace', async (body) => lineage.trace(await body(TraceQuery, 'trace query')));
  http.registerRoute('POST', '/v1/review', async (body) => lineage.review(await body(ReviewQuery, 'review query')));
  http.registerQuery('trace', (params) => lineage.trace(params as TraceQuery));
  http.registerQuery('review', (params) => lineage.review((params ?? {}) as ReviewQuery));
}
